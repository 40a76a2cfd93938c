"""LanguageEntityExtractor: a ``language`` entity only when the text decides, never trained on."""

from __future__ import annotations

import copy
import textwrap
import time
from typing import Any, Dict, List

import pytest
import yaml
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.data import TrainingType
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu_components.language_entity import ENTITY, LanguageEntityExtractor
from shop.language import LanguageConfig


@pytest.fixture(scope="module")
def extractor() -> LanguageEntityExtractor:
    return LanguageEntityExtractor({"languages": "en,zh"})


def _entities(extractor: LanguageEntityExtractor, text: str, existing: List[Dict[str, Any]] | None = None):
    message = Message(data={TEXT: text, **({ENTITIES: existing} if existing else {})})
    extractor.process([message])
    return message.get(ENTITIES, [])


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("我的订单到哪了？", "zh"),
        ("订单号104523", "zh"),  # Han decides even with digits around
        ("好", "zh"),  # one Han character is enough (rule HAN)
        ("where is my order, it was supposed to arrive yesterday", "en"),
        ("I would like to return the jacket I bought", "en"),
    ],
)
def test_a_message_that_decides_gets_one_whole_text_language_entity(
    extractor: LanguageEntityExtractor, text: str, language: str
) -> None:
    entities = _entities(extractor, text)
    assert entities == [
        {
            "entity": ENTITY,
            "value": language,
            "start": 0,
            "end": len(text),
            "extractor": "LanguageEntityExtractor",
        }
    ]


@pytest.mark.parametrize(
    "text", ["ok", "104523", "anna.schmidt@example.com", "SAVE10", "yes pls", "👍", "", "  "]
)
def test_short_or_ambiguous_messages_add_nothing(extractor: LanguageEntityExtractor, text: str) -> None:
    assert _entities(extractor, text) == []


def test_other_extractors_entities_are_kept(extractor: LanguageEntityExtractor) -> None:
    crf = {"entity": "order_id", "value": "104523", "start": 3, "end": 9, "extractor": "CRFEntityExtractor"}
    entities = _entities(extractor, "订单号104523到哪了", [copy.deepcopy(crf)])
    assert entities[0] == crf
    assert [e["value"] for e in entities if e["entity"] == ENTITY] == ["zh"]


def test_an_english_only_shop_never_says_zh() -> None:
    english_only = LanguageEntityExtractor({}, LanguageConfig(("en",)))
    assert _entities(english_only, "我的订单到哪了") == []  # too few letters for lingua, no Han rule
    assert [e["value"] for e in _entities(english_only, "where is my order please")] == ["en"]


def test_languages_come_from_shop_languages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_LANGUAGES", "en")
    assert LanguageEntityExtractor.create({}, None, None, None).language_config.languages == ("en",)  # type: ignore[arg-type]
    monkeypatch.setenv("SHOP_LANGUAGES", "zh,en")
    assert LanguageEntityExtractor.create({}, None, None, None).language_config.languages == ("zh", "en")  # type: ignore[arg-type]


def test_it_is_cheap(extractor: LanguageEntityExtractor) -> None:
    texts = ["where is my order, it should have arrived", "我的订单到哪了", "ok", "104523"] * 50
    messages = [Message(data={TEXT: t}) for t in texts]
    start = time.perf_counter()
    extractor.process(messages)
    per_message_ms = (time.perf_counter() - start) * 1000 / len(messages)
    # measured about 0.1 ms on the 2-core test machine under load; 5 ms would be a regression
    assert per_message_ms < 5.0, per_message_ms


CONFIG = """\
recipe: default.v1
language: en
pipeline:
  - name: nlu_components.bilingual_tokenizer.BilingualTokenizer
  - name: nlu_components.language_entity.LanguageEntityExtractor
  - name: CountVectorsFeaturizer
  - name: CRFEntityExtractor
  - name: LogisticRegressionClassifier
"""


def test_nothing_trains_on_it_and_it_runs_at_prediction_only() -> None:
    """Rasa's recipe gives it no training node, so no training example (and no CRF) sees it."""
    config = yaml.safe_load(textwrap.dedent(CONFIG))
    graphs = DefaultV1Recipe().graph_config_for_recipe(config, {}, training_type=TrainingType.NLU)
    uses = {name: node.uses for name, node in graphs.train_schema.nodes.items()}
    assert LanguageEntityExtractor not in uses.values()
    predict = [
        name for name, node in graphs.predict_schema.nodes.items() if node.uses is LanguageEntityExtractor
    ]
    assert len(predict) == 1 and graphs.predict_schema.nodes[predict[0]].fn == "process"
    # the CRF is trained from the tokenizer's output, upstream of nothing of this component
    crf_train = next(n for n in graphs.train_schema.nodes.values() if n.uses.__name__ == "CRFEntityExtractor")
    assert all("LanguageEntityExtractor" not in need for need in crf_train.needs.values())
