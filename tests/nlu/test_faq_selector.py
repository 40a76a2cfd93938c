"""FaqSelector: Rasa's ResponseSelector output, the right FAQ for new phrasings, save and load.

The output is compared with what Rasa's own ``ResponseSelector`` writes when trained on the
same tiny data (one epoch: the keys and their types are the contract ``utter_faq`` and
``rasa test nlu`` read, not its quality). The FAQ phrasings below were written for this test
and are not training examples (checked).
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_RESPONSE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components.faq_selector import FaqSelector

ROOT = Path(__file__).resolve().parents[2]
TINY = {
    "faq/shipping_times": ["how long does shipping take", "when will my parcel arrive", "delivery time"],
    "faq/payment_methods": ["can i pay with paypal", "which cards do you accept", "payment options"],
    "chitchat/weather": ["how is the weather", "is it raining"],
}
RESPONSES = {
    "utter_faq/shipping_times": [{"text": "3-5 days"}],
    "utter_faq/payment_methods": [{"text": "Visa and PayPal"}],
    "utter_chitchat/weather": [{"text": "sunny"}],
}
#: New phrasings -> the FAQ sub-intent they ask about, in both languages.
HELD_OUT = {
    "how many days until my package gets delivered": "faq/shipping_times",
    "can i check out with apple pay": "faq/payment_methods",
    "what is the guarantee period on a laptop": "faq/warranty",
    "do you deliver to canada or the uk": "faq/international_shipping",
    "what hours is your customer service open": "faq/contact_hours",
    "i want to send back a jacket, what are the rules": "faq/return_policy",
    "可以用苹果支付付款吗": "faq/payment_methods",
    "下单以后大概几天能送到": "faq/shipping_times",
    "能寄到英国吗": "faq/international_shipping",
    "周末有人工客服在线吗": "faq/contact_hours",
}


def _message(text: str, key: str | None = None, dense: bool = False) -> Message:
    data: Dict[str, Any] = {TEXT: text}
    if key:
        data.update({INTENT: key.split("/")[0], INTENT_RESPONSE_KEY: key})
    message = Message(data=data)
    if dense:
        rng = np.random.default_rng(zlib.crc32(text.encode()))
        message.add_features(
            Features(rng.random((1, 8)).astype(np.float32), FEATURE_TYPE_SENTENCE, TEXT, "t")
        )
    return message


def _tiny(dense: bool = False) -> TrainingData:
    examples = [_message(t, k, dense) for k, texts in TINY.items() for t in texts]
    return TrainingData(examples, responses=RESPONSES)


def _context(name: str) -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), node_name=name)


def _storage(folder: Path) -> LocalModelStorage:
    folder.mkdir(parents=True, exist_ok=True)
    return LocalModelStorage(folder)


def _selector(storage: LocalModelStorage, data: TrainingData, **config: object) -> FaqSelector:
    selector = FaqSelector.create(
        {**FaqSelector.get_default_config(), **config}, storage, Resource("faq"), _context("faq")
    )
    selector.train(data)
    return selector


def _shape(value: Any) -> Any:
    """The keys and value types of a nested output, without the values."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value and isinstance(value[0], dict) else type(value).__name__
    return type(value).__name__


def _rasa_output(tmp_path: Path, text: str) -> Dict[str, Any]:
    """What Rasa's ResponseSelector sets on ``text``, after Rasa's tokenizer and count vectors."""
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
    from rasa.nlu.selectors.response_selector import ResponseSelector
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer

    storage = _storage(tmp_path / "rasa")
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    vectors = CountVectorsFeaturizer.create(
        CountVectorsFeaturizer.get_default_config(), storage, Resource("cv"), _context("cv")
    )
    config = {
        **ResponseSelector.get_default_config(),
        "epochs": 1,
        "retrieval_intent": "faq",
        "constrain_similarities": True,
    }
    rasa_selector = ResponseSelector.create(config, storage, Resource("rs"), _context("rs"))
    data = _tiny()
    tokenizer.process_training_data(data)
    vectors.train(data)
    vectors.process_training_data(data)
    rasa_selector.train(data)
    message = _message(text)
    rasa_selector.process(vectors.process(tokenizer.process([message])))
    return message.as_dict(only_output_properties=True)


def test_output_has_exactly_the_keys_and_types_of_rasas_response_selector(tmp_path: Path) -> None:
    text = "how long is delivery"
    ours = _message(text, dense=True)
    _selector(_storage(tmp_path / "ours"), _tiny(dense=True)).process([ours])
    output = ours.as_dict(only_output_properties=True)
    expected = _rasa_output(tmp_path, text)
    assert _shape(output["response_selector"]) == _shape(expected["response_selector"])
    assert sorted(output["response_selector"]["all_retrieval_intents"]) == ["chitchat", "faq"]
    assert sorted(expected["response_selector"]["all_retrieval_intents"]) == ["chitchat", "faq"]
    response = output["response_selector"]["faq"]["response"]
    assert response["intent_response_key"] == "faq/shipping_times"
    assert response["utter_action"] == "utter_faq/shipping_times"
    assert response["responses"] == RESPONSES["utter_faq/shipping_times"]
    ranking = output["response_selector"]["faq"]["ranking"]
    assert [r["intent_response_key"] for r in ranking] == ["faq/shipping_times", "faq/payment_methods"]
    assert ranking[0]["confidence"] == response["confidence"] > ranking[1]["confidence"]
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)


def test_ranking_length_cuts_the_ranking(tmp_path: Path) -> None:
    message = _message("which cards can i use")
    _selector(LocalModelStorage(tmp_path), _tiny(), ranking_length=1).process([message])
    ranking = message.get("response_selector")["faq"]["ranking"]
    assert [r["intent_response_key"] for r in ranking] == ["faq/payment_methods"]


@pytest.fixture(scope="module")
def faq_data() -> TrainingData:
    """Every faq/* example of data/nlu (English and Chinese), as ``rasa train`` gives them."""
    examples = load_data(str(ROOT / "data" / "nlu")).intent_examples
    return TrainingData([m for m in examples if m.get(INTENT) == "faq"])


def test_the_held_out_phrasings_are_not_training_examples(faq_data: TrainingData) -> None:
    texts = {str(m.get(TEXT)) for m in faq_data.training_examples}
    assert [t for t in HELD_OUT if t in texts] == []
    assert set(HELD_OUT.values()) <= {str(m.get(INTENT_RESPONSE_KEY)) for m in faq_data.training_examples}


def test_picks_the_faq_of_new_phrasings_in_both_languages(tmp_path: Path, faq_data: TrainingData) -> None:
    # The features of the trained assistant: tf-idf and the MiniLM vector of each text.
    from nlu_components.sentence_embeddings import MiniLMSentenceFeaturizer
    from text_encoder import get_encoder

    minilm = MiniLMSentenceFeaturizer(MiniLMSentenceFeaturizer.get_default_config(), "minilm", get_encoder())
    storage = _storage(tmp_path)
    _selector(storage, minilm.process_training_data(faq_data))  # train() saves it
    loaded = FaqSelector.load(FaqSelector.get_default_config(), storage, Resource("faq"), _context("faq"))
    messages: List[Message] = minilm.process([_message(t) for t in HELD_OUT])
    loaded.process(messages)
    responses = {m.get(TEXT): m.get("response_selector")["faq"]["response"] for m in messages}
    picked = {text: response[INTENT_RESPONSE_KEY] for text, response in responses.items()}
    assert picked == HELD_OUT


def test_an_untrained_selector_loads_and_leaves_messages_alone(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    loaded = FaqSelector.load(FaqSelector.get_default_config(), storage, Resource("faq"), _context("faq"))
    message = _message("how long does shipping take")
    loaded.process([message])
    assert message.get("response_selector") is None
