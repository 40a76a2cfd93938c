"""HanCodeEntityExtractor: codes and amounts glued to Han characters, never over the CRF's."""

from __future__ import annotations

from typing import Any, Dict, List, Set, Tuple

import pytest
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu_components.han_code_entities import HanCodeEntityExtractor


@pytest.fixture(scope="module")
def extractor() -> HanCodeEntityExtractor:
    return HanCodeEntityExtractor(HanCodeEntityExtractor.get_default_config())


def _run(extractor: HanCodeEntityExtractor, text: str, existing: List[Dict[str, Any]] | None = None):
    message = Message(data={TEXT: text, **({ENTITIES: existing} if existing else {})})
    extractor.process([message])
    return message.get(ENTITIES, [])


def _found(extractor: HanCodeEntityExtractor, text: str) -> Set[Tuple[str, str]]:
    return {(e["entity"], e["value"]) for e in _run(extractor, text)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("订单号618204怎么还没发货", {("order_id", "618204")}),
        ("我的订单#402716查不到", {("order_id", "402716")}),
        ("我的订单104523到哪了", {("order_id", "104523")}),
        ("订单号:661705 邮箱是li.na@163.com谢谢", {("order_id", "661705"), ("email", "li.na@163.com")}),
        ("用SAVE10这个券", {("coupon_code", "SAVE10")}),
        ("优惠码FREESHIP能用吗", {("coupon_code", "FREESHIP")}),
        ("预算100美元", {("amount", "100美元")}),
        ("预算¥400左右的跑鞋", {("amount", "¥400")}),
        ("$80以下的背包推荐一下", {("amount", "$80")}),
        ("200块左右", {("amount", "200块")}),
        ("¥200以内", {("amount", "¥200")}),
    ],
)
def test_shapes_glued_to_han(extractor, text: str, expected) -> None:
    entities = _run(extractor, text)
    assert {(e["entity"], e["value"]) for e in entities} == expected
    for e in entities:  # the span is the value as written (a leading # included)
        assert text[e["start"] : e["end"]].lstrip("#") == e["value"]


@pytest.mark.parametrize(
    "text",
    [
        "我的手机号13812345678",  # eleven digits: not an order number
        "退货单RMA-123456到哪了",  # an RMA number
        "邮编100080能送吗",  # a postcode
        "这个耳机支持NFC吗",  # upper-case word, no coupon talk
        "Orbit手表有NFC码吗",  # coupon talk, but NFC is not a code
        "五星好评",
    ],
)
def test_no_false_codes(extractor, text: str) -> None:
    assert _run(extractor, text) == []


def test_six_digit_amount_is_not_an_order(extractor) -> None:
    assert _found(extractor, "预算100000元") == {("amount", "100000元")}


def test_english_is_left_to_the_crf(extractor) -> None:
    assert _run(extractor, "where is order 104523, email a@b.com, code SAVE10, under $50") == []


def test_an_entity_already_there_wins(extractor) -> None:
    crf = {"entity": "order_id", "value": "618204", "start": 3, "end": 9, "extractor": "CRFEntityExtractor"}
    entities = _run(extractor, "订单号618204 邮箱a@b.com", [crf])
    assert entities[0] == crf
    assert [(e["entity"], e["value"]) for e in entities[1:]] == [("email", "a@b.com")]
    language = {"entity": "language", "value": "zh", "start": 0, "end": 9}
    assert [e["entity"] for e in _run(extractor, "订单号618204到哪了", [language])] == [
        "language",
        "order_id",
    ]
