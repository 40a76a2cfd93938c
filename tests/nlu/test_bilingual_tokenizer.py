"""BilingualTokenizer: English exactly as WhitespaceTokenizer, Chinese and mixed text via jieba
with whole Latin/digit runs, entity spans of data/nlu/zh on token boundaries, a tiny training."""

from __future__ import annotations

import asyncio
import copy
import textwrap
import threading
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

import nlu_components.bilingual_tokenizer as bilingual
from nlu_components.bilingual_tokenizer import BilingualTokenizer

ROOT = Path(__file__).resolve().parents[2]
OPTIONS = [
    {},
    {"intent_tokenization_flag": True, "intent_split_symbol": "_", "token_pattern": r"(?u)\b\w+\b"},
]


def _tokenizer(**config: Any) -> BilingualTokenizer:
    return BilingualTokenizer({**BilingualTokenizer.get_default_config(), **config})


def _tokens(text: str, **config: Any) -> List[Tuple[str, int, int]]:
    return [(t.text, t.start, t.end) for t in _tokenizer(**config).tokenize(Message(data={TEXT: text}), TEXT)]


@pytest.fixture(scope="module")
def english() -> TrainingData:
    """The English files only: data/nlu/*.yml, not data/nlu/zh/."""
    files = sorted((ROOT / "data" / "nlu").glob("*.yml"))
    return TrainingData().merge(*(load_data(str(f)) for f in files))


@pytest.fixture(scope="module")
def chinese() -> TrainingData:
    return load_data(str(ROOT / "data" / "nlu" / "zh"))


def _all_tokens(data: TrainingData) -> List[Dict[str, List[Token]]]:
    return [
        {name: example.get(name) for name in TOKENS_NAMES.values() if example.get(name) is not None}
        for example in data.training_examples
    ]


@pytest.mark.parametrize("options", OPTIONS, ids=["defaults", "intent-split+token-pattern"])
def test_english_training_data_tokenizes_exactly_as_whitespace_tokenizer(
    english: TrainingData, options: Dict[str, Any]
) -> None:
    ours, theirs = copy.deepcopy(english), copy.deepcopy(english)
    _tokenizer(**options).process_training_data(ours)
    WhitespaceTokenizer({**WhitespaceTokenizer.get_default_config(), **options}).process_training_data(theirs)
    assert len(ours.training_examples) > 2000
    assert _all_tokens(ours) == _all_tokens(theirs)


def test_the_whitespace_rules_of_the_mixed_path_still_match_rasa(english: TrainingData) -> None:
    """The punctuation regex copied from WhitespaceTokenizer gives the same tokens on English text."""
    whitespace = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    tokenizer = _tokenizer()
    compared = 0
    for example in english.training_examples:
        latin = tokenizer.latin_tokens(example.get(TEXT))
        if latin:  # the base class falls back to the whole text when nothing is left
            assert latin == whitespace.tokenize(example, TEXT), example.get(TEXT)
            compared += 1
    assert compared > 2000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的快递到哪了", ["我", "的", "快递", "到", "哪", "了"]),
        ("订单号104523到哪了", ["订单号", "104523", "到", "哪", "了"]),
        ("订单号：104523", ["订单号", "104523"]),
        ("订单号:661705", ["订单号", "661705"]),
        ("#258176状态", ["#258176", "状态"]),
        ("邮箱是a@b.com，谢谢！", ["邮箱", "是", "a@b.com", "谢谢"]),
        ("我的邮箱1538826791@qq.com", ["我", "的", "邮箱", "1538826791@qq.com"]),
        ("用SAVE10可以吗？", ["用", "SAVE10", "可以", "吗"]),
        ("预算$50以内", ["预算", "$50", "以内"]),
        ("¥200左右的", ["¥200", "左右", "的"]),
        ("满100美元包邮", ["满", "100", "美元", "包邮"]),
        ("退货单号RMA-412569", ["退货", "单", "号", "RMA-412569"]),
        ("不想要了 帮我取消", ["不", "想要", "了", "帮", "我", "取消"]),
        ("五星好评", ["五", "星", "好评"]),
        ("两百块钱", ["两百", "块", "钱"]),
        ("好的👍", ["好", "的"]),
        ("好的 👍 thanks!", ["好", "的", "thanks"]),
    ],
)
def test_chinese_and_mixed_text(text: str, expected: List[str]) -> None:
    tokens = _tokens(text)
    assert [t for t, _, _ in tokens] == expected
    assert all(text[start:end] == word for word, start, end in tokens)


def test_mixed_text_offsets() -> None:
    text = "亲 订单 104523 改发到 a.b@163.com 可以吗？用 save10 再减$5"
    assert _tokens(text) == [
        ("亲", 0, 1),
        ("订单", 2, 4),
        ("104523", 5, 11),
        ("改", 12, 13),
        ("发到", 13, 15),
        ("a.b@163.com", 16, 27),
        ("可以", 28, 30),
        ("吗", 30, 31),
        ("用", 32, 33),
        ("save10", 34, 40),
        ("再减", 41, 43),
        ("$5", 43, 45),
    ]


def test_token_pattern_applies_to_both_layers() -> None:
    assert [t for t, _, _ in _tokens("退货单号RMA-412569", token_pattern=r"[^-]+")] == [
        "退货",
        "单",
        "号",
        "RMA",
        "412569",
    ]


def test_intent_names_are_split_as_in_the_base_class() -> None:
    message = Message(data={TEXT: "订单104523到哪了", INTENT: "order_status"})
    _tokenizer(intent_tokenization_flag=True).process_training_data(TrainingData([message]))
    assert [t.text for t in message.get(TOKENS_NAMES[INTENT])] == ["order", "status"]
    assert [t.text for t in message.get(TOKENS_NAMES[TEXT])] == ["订单", "104523", "到", "哪", "了"]


def test_chinese_data_tokens_are_substrings_without_whitespace(chinese: TrainingData) -> None:
    tokenizer = _tokenizer()
    for example in chinese.training_examples:
        text = example.get(TEXT)
        for token in tokenizer.tokenize(example, TEXT):
            assert token.text and token.text == token.text.strip(), text
            assert text[token.start : token.end] == token.text, text


def _misaligned(data: TrainingData) -> List[Tuple[str, str]]:
    tokenizer = _tokenizer()
    bad = []
    for example in data.training_examples:
        tokens = tokenizer.tokenize(example, TEXT)
        starts, ends = {t.start for t in tokens}, {t.end for t in tokens}
        for entity in example.get("entities") or []:
            if entity["start"] not in starts or entity["end"] not in ends:
                bad.append((example.get(TEXT), example.get(TEXT)[entity["start"] : entity["end"]]))
    return bad


def test_chinese_entity_spans_fall_on_token_boundaries(chinese: TrainingData) -> None:
    annotated = sum(len(e.get("entities") or []) for e in chinese.training_examples)
    assert annotated > 400
    # The score-out-of-five form: "3/5" is one token, as WhitespaceTokenizer keeps it in English
    # (data/nlu has 4 such csat_score spans); every other span of data/nlu/zh is whole tokens.
    assert _misaligned(chinese) == [("5/5", "5"), ("3/5 还有待提高", "3")]


def test_segmenter_is_created_once_across_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bilingual, "_segmenter", None)
    barrier = threading.Barrier(4)
    seen: List[object] = []

    def load() -> None:
        barrier.wait()
        seen.append(bilingual.segmenter())

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 4 and all(s is seen[0] for s in seen)


NLU = """\
version: "3.1"
nlu:
- intent: order_status
  examples: |
    - where is my order
    - track my package
    - has my order 104523 shipped
    - 我的快递到哪了
    - 订单号104523到哪了
    - 查一下物流
- intent: greet
  examples: |
    - hello
    - hi there
    - good morning
    - 你好
    - 在吗
    - 早上好
- intent: apply_coupon
  examples: |
    - apply coupon SAVE10
    - i have a discount code
    - use code WELCOME15
    - 用优惠码SAVE10
    - 我有优惠券
    - 折扣码怎么用
"""

CONFIG = """\
recipe: default.v1
assistant_id: bilingual_smoke
language: en
pipeline:
  - name: nlu_components.bilingual_tokenizer.BilingualTokenizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 3
  - name: LogisticRegressionClassifier
"""


def test_nlu_model_trains_and_parses_both_languages(tmp_path: Path) -> None:
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu

    (tmp_path / "nlu.yml").write_text(NLU, encoding="utf-8")
    (tmp_path / "config.yml").write_text(textwrap.dedent(CONFIG), encoding="utf-8")
    model = train_nlu(str(tmp_path / "config.yml"), str(tmp_path / "nlu.yml"), str(tmp_path / "models"))
    assert model is not None and Path(model).is_file()

    agent = Agent.load(model)
    chinese = asyncio.run(agent.parse_message("订单号104523的快递到哪了"))
    english = asyncio.run(agent.parse_message("where is my package"))
    assert chinese["intent"]["name"] == "order_status"
    assert english["intent"]["name"] == "order_status"
    greeting = asyncio.run(agent.parse_message("你好啊"))
    assert greeting["intent"]["name"] == "greet"
