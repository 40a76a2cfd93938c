"""nlu_components.crf_entities: the saved CRF taggers tag exactly as Rasa's retrained ones.

A CRF is trained the way ``rasa train`` does (whitespace tokens, Rasa's default features),
then loaded twice from the same model storage: through our class (the saved crfsuite
files) and through Rasa's own (which retrains from the saved features). Both must give
the same entities with the same confidences; a model without the files loads Rasa's way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, List, Tuple

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor as RasaCRF
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import ENTITIES, FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components.crf_entities import CRFEntityExtractor, tagger_file

TRAIN = [
    ("where is order [104523](order_id)", None),
    ("my order number is [558812](order_id)", None),
    ("email is [jane@example.com](email) thanks", None),
    ("use coupon [SAVE10](coupon_code) please", None),
    ("apply [WELCOME5](coupon_code) to my cart", None),
    ("order [771234](order_id) and [li@shop.cn](email)", None),
    ("hello there", None),
    ("track [604411](order_id) for me", None),
]
PROBES = ["where is order 104523", "my email is a.b@example.org", "coupon SPRING20 please", "hi"]


def _featurized(messages: List[Message]) -> List[Message]:
    """A sentence feature on each message: Rasa's CRF trains and tags only featurized ones."""
    for message in messages:
        message.add_features(Features(np.ones((1, 1)), FEATURE_TYPE_SENTENCE, TEXT, "test"))
    return messages


def _messages(texts: List[str]) -> List[Message]:
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    messages = [Message(data={TEXT: t}) for t in texts]
    tokenizer.process(messages)
    return _featurized(messages)


def _training_data() -> TrainingData:
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    lines = "\n".join(f"    - {text}" for text, _ in TRAIN)
    data = RasaYAMLReader().reads(f'version: "3.1"\nnlu:\n- intent: any\n  examples: |\n{lines}\n')
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process_training_data(data)
    _featurized(data.training_examples)
    return data


def _context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), node_name="crf")


@pytest.fixture
def trained(tmp_path: Path) -> Tuple[LocalModelStorage, Resource, dict[str, Any]]:
    storage, resource = LocalModelStorage(tmp_path), Resource("crf")
    config = {**CRFEntityExtractor.get_default_config()}
    CRFEntityExtractor.create(config, storage, resource, _context()).train(_training_data())
    return storage, resource, config


def _entities(extractor: Any) -> List[Any]:
    messages = extractor.process(_messages(PROBES))
    return [m.get(ENTITIES, []) for m in messages]


def test_saved_taggers_tag_as_rasas_retrained_ones(trained: Any) -> None:
    storage, resource, config = trained
    with storage.read_from(resource) as folder:
        assert (Path(folder) / tagger_file("entity")).is_file()
    ours = CRFEntityExtractor.load(config, storage, resource, _context())
    rasa = RasaCRF.load(config, storage, resource, _context())
    got, expected = _entities(ours), _entities(rasa)
    assert got == expected
    assert any(e["entity"] == "order_id" and e["value"] == "104523" for e in got[0])  # not vacuous


def test_a_model_without_saved_taggers_loads_rasas_way(trained: Any) -> None:
    storage, resource, config = trained
    with storage.read_from(resource) as folder:
        (Path(folder) / tagger_file("entity")).unlink()
    loaded = CRFEntityExtractor.load(config, storage, resource, _context())
    assert _entities(loaded) == _entities(RasaCRF.load(config, storage, resource, _context()))
    assert loaded.entity_taggers  # retrained, not empty
