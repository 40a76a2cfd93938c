"""The MiniLM sentence featurizer adds one unit vector per text, sentence-level only."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import RESPONSE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components.sentence_embeddings import MiniLMSentenceFeaturizer
from text_encoder import get_encoder


@pytest.fixture(scope="module")
def featurizer() -> MiniLMSentenceFeaturizer:
    config = MiniLMSentenceFeaturizer.get_default_config()
    return MiniLMSentenceFeaturizer(config, "minilm", encoder=get_encoder())


def _tokenized(text: str, **data: str) -> Message:
    message = Message(data={TEXT: text, **data})
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    for attribute in (TEXT, RESPONSE):
        if message.get(attribute):
            message.set(TOKENS_NAMES[attribute], tokenizer.tokenize(message, attribute))
    return message


def test_process_adds_one_sentence_vector(featurizer: MiniLMSentenceFeaturizer) -> None:
    message = _tokenized("where is my order")
    featurizer.process([message])
    sequence, sentence = message.get_dense_features(TEXT)
    assert sequence is None
    assert sentence is not None and sentence.features.shape == (1, 384)
    assert np.linalg.norm(sentence.features[0]) == pytest.approx(1.0, abs=1e-4)


def test_vectors_follow_meaning(featurizer: MiniLMSentenceFeaturizer) -> None:
    texts = ["where is my parcel", "has my package shipped yet", "tell me a joke"]
    messages = [_tokenized(t) for t in texts]
    featurizer.process(messages)
    v = [m.get_dense_features(TEXT)[1].features[0] for m in messages]
    assert float(v[0] @ v[1]) > float(v[0] @ v[2]) + 0.1


def test_training_data_gets_text_and_response_vectors(featurizer: MiniLMSentenceFeaturizer) -> None:
    with_response = _tokenized("how long is shipping", response="Orders ship in 2-4 days.")
    empty = Message(data={TEXT: ""})
    featurizer.process_training_data(TrainingData([with_response, empty]))
    assert with_response.get_dense_features(TEXT)[1] is not None
    assert with_response.get_dense_features(RESPONSE)[1] is not None
    assert empty.get_dense_features(TEXT) == (None, None)


@pytest.mark.parametrize("batch_size", [0, -3, "64"])
def test_bad_batch_size_is_refused(batch_size: object) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        MiniLMSentenceFeaturizer.validate_config({"batch_size": batch_size})
