"""LinearIntentClassifier: trains on text n-grams and dense vectors, ranks, saves and loads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components.intent_classifier import WORD_PATTERN, LinearIntentClassifier, word_text

EXAMPLES = {
    "order_status": ["where is my order", "track my parcel", "has my package shipped", "order status pls"],
    "greet": ["hello", "hi there", "good morning", "hey"],
    "faq": ["what payment methods do you take", "how long is shipping", "do you ship abroad", "warranty?"],
}


def _message(text: str, intent: str | None = None, dense: np.ndarray | None = None) -> Message:
    message = Message(data={TEXT: text, **({INTENT: intent} if intent else {})})
    if dense is not None:
        message.add_features(Features(dense.reshape(1, -1), FEATURE_TYPE_SENTENCE, TEXT, "test"))
    return message


@pytest.fixture
def storage(tmp_path: Path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path)


def _context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), node_name="intents")


def _trained(storage: LocalModelStorage, data: TrainingData, **config: object) -> LinearIntentClassifier:
    clf = LinearIntentClassifier.create(
        {**LinearIntentClassifier.get_default_config(), **config}, storage, Resource("intents"), _context()
    )
    clf.train(data)
    return clf


def test_predicts_intents_with_a_sorted_probability_ranking(storage: LocalModelStorage) -> None:
    data = TrainingData([_message(t, i) for i, texts in EXAMPLES.items() for t in texts])
    clf = _trained(storage, data, ranking_length=2)
    messages = [_message("where's my order"), _message("hello!"), _message("how long does shipping take")]
    clf.process(messages)
    assert [m.get(INTENT)["name"] for m in messages] == ["order_status", "greet", "faq"]
    ranking = messages[0].get("intent_ranking")
    assert len(ranking) == 2
    assert ranking[0]["confidence"] >= ranking[1]["confidence"]
    assert ranking[0] == messages[0].get(INTENT)


def test_dense_vectors_decide_when_the_words_cannot(storage: LocalModelStorage) -> None:
    a, b = np.eye(8, dtype=np.float32)[0], np.eye(8, dtype=np.float32)[1]
    data = TrainingData(
        [_message("same words", "left", a) for _ in range(5)]
        + [_message("same words", "right", b) for _ in range(5)]
    )
    clf = _trained(storage, data, dense_weight=3.0)
    messages = [_message("same words", dense=a), _message("same words", dense=b)]
    clf.process(messages)
    assert [m.get(INTENT)["name"] for m in messages] == ["left", "right"]


def test_saved_model_loads_and_predicts_the_same(storage: LocalModelStorage) -> None:
    data = TrainingData([_message(t, i) for i, texts in EXAMPLES.items() for t in texts])
    trained = _trained(storage, data)
    loaded = LinearIntentClassifier.load(
        LinearIntentClassifier.get_default_config(), storage, Resource("intents"), _context()
    )
    first, second = _message("is my parcel on the way"), _message("is my parcel on the way")
    trained.process([first])
    loaded.process([second])
    assert first.get("intent_ranking") == second.get("intent_ranking")


def test_without_a_saved_model_messages_are_left_alone(storage: LocalModelStorage) -> None:
    clf = LinearIntentClassifier.load(
        LinearIntentClassifier.get_default_config(), storage, Resource("missing"), _context()
    )
    message = _message("hello")
    clf.process([message])
    assert message.get(INTENT) is None


def test_one_intent_is_not_enough_to_train(storage: LocalModelStorage) -> None:
    clf = _trained(storage, TrainingData([_message("hello", "greet"), _message("hi", "greet")]))
    message = _message("hello")
    clf.process([message])
    assert message.get(INTENT) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("where is my order 104523", "where is my order 104523"),  # no Han: unchanged
        ("订单号104523到哪了", " 订单号 104523 到 哪 了 "),
        ("Nimbus跑鞋有黑色吗", "Nimbus 跑鞋 有 黑色 吗 "),
    ],
)
def test_word_text_spells_han_runs_as_jieba_words(text: str, expected: str) -> None:
    assert word_text(text) == expected


def test_english_word_features_are_those_of_the_default_pattern() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = ["where's my order #104523?", "i'd like a refund, it's broken", "a b c x-large t-shirt"]
    ours = TfidfVectorizer(token_pattern=WORD_PATTERN).fit([word_text(t) for t in texts])
    default = TfidfVectorizer().fit(texts)
    assert ours.get_feature_names_out().tolist() == default.get_feature_names_out().tolist()


def test_chinese_words_and_one_character_words_are_features(storage: LocalModelStorage) -> None:
    examples = {
        "cancel_order": ["我要取消订单", "订单不要了 取消吧", "帮我取消", "取消104523"],
        "return_item": ["我要退货", "这个退了吧", "怎么退", "退104523"],
        "greet": ["你好", "在吗", "早上好", "亲 在不在"],
    }
    data = TrainingData([_message(t, i) for i, texts in examples.items() for t in texts])
    clf = _trained(storage, data)
    vocabulary = set(clf._parts["word"].vocabulary_)
    assert {"取消", "退", "退货", "你好", "吗", "取消 订单"} <= vocabulary
    messages = [_message("帮我取消这个订单"), _message("我想退"), _message("你好 在吗")]
    clf.process(messages)
    assert [m.get(INTENT)["name"] for m in messages] == ["cancel_order", "return_item", "greet"]
