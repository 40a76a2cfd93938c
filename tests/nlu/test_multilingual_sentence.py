"""The multilingual featurizer: a unit vector for Chinese texts, zeros for English (scope han)."""

from __future__ import annotations

from typing import Dict

import numpy as np
import pytest
from rasa.shared.nlu.constants import RESPONSE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components.multilingual_sentence import DIMS, MultilingualSentenceFeaturizer, load_encoder

ENCODERS = sorted(DIMS)


def _featurizer(encoder: str, scope: str = "han") -> MultilingualSentenceFeaturizer:
    config = {**MultilingualSentenceFeaturizer.get_default_config(), "encoder": encoder, "scope": scope}
    return MultilingualSentenceFeaturizer(config, f"multilingual_{encoder}", encode=load_encoder(encoder))


def _sentence(featurizer: MultilingualSentenceFeaturizer, text: str) -> np.ndarray:
    message = Message(data={TEXT: text})
    featurizer.process([message])
    sequence, sentence = message.get_dense_features(TEXT)
    assert sequence is None and sentence is not None
    return np.asarray(sentence.features[0])


@pytest.mark.parametrize("encoder", ENCODERS)
def test_chinese_text_gets_a_unit_vector(encoder: str) -> None:
    vector = _sentence(_featurizer(encoder), "我的订单到哪了？")
    assert vector.shape == (DIMS[encoder],)
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("encoder", ENCODERS)
def test_english_text_gets_zeros_of_the_same_size_under_scope_han(encoder: str) -> None:
    vector = _sentence(_featurizer(encoder), "where is my order 104523")
    assert vector.shape == (DIMS[encoder],)
    assert not vector.any()


@pytest.mark.parametrize("encoder", ENCODERS)
def test_scope_all_encodes_english_too(encoder: str) -> None:
    vector = _sentence(_featurizer(encoder, scope="all"), "where is my order")
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("encoder", ENCODERS)
def test_chinese_vectors_follow_meaning(encoder: str) -> None:
    featurizer = _featurizer(encoder)
    order, parcel, joke = (
        _sentence(featurizer, t) for t in ("我的订单到哪了", "包裹什么时候送到", "给我讲个笑话")
    )
    # e5's cosines sit in a narrow band (0.8-0.9 for any two short texts): order, not margin.
    assert float(order @ parcel) > float(order @ joke)


@pytest.mark.parametrize("encoder", ENCODERS)
def test_mixed_text_counts_as_chinese(encoder: str) -> None:
    vector = _sentence(_featurizer(encoder), "订单号618204 status")
    assert vector.any()


def test_batches_keep_each_text_on_its_own_row() -> None:
    featurizer = _featurizer("use")
    config = {**featurizer.get_default_config(), "batch_size": 2}
    batched = MultilingualSentenceFeaturizer(config, "batched", encode=load_encoder("use"))
    texts = ["你好", "hello", "可以退货吗", "怎么付款", "thanks", "订单取消"]
    together = batched.vectors(texts)
    for row, text in enumerate(texts):
        np.testing.assert_allclose(together[row], featurizer.vectors([text])[0], atol=1e-5)


def test_training_data_gets_text_and_response_vectors() -> None:
    with_response = Message(data={TEXT: "多久能到", RESPONSE: "一般2-4天发货。"})
    empty = Message(data={TEXT: ""})
    _featurizer("use").process_training_data(TrainingData([with_response, empty]))
    assert with_response.get_dense_features(TEXT)[1] is not None
    assert with_response.get_dense_features(RESPONSE)[1] is not None
    assert empty.get_dense_features(TEXT) == (None, None)


@pytest.mark.parametrize(
    "bad",
    [{"encoder": "minilm"}, {"scope": "english"}, {"batch_size": 0}],
)
def test_bad_config_is_refused(bad: Dict[str, object]) -> None:
    config = {**MultilingualSentenceFeaturizer.get_default_config(), **bad}
    with pytest.raises(ValueError, match=next(iter(bad))):
        MultilingualSentenceFeaturizer.validate_config(config)
