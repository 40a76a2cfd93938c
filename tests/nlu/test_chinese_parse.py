"""The trained assistant parses Chinese: intents, the CRF's entities inside Chinese text, language.

Messages written for this test, none of them in the training data (checked below), a few per
intent. They run through the real model (``models/current.tar.gz``, which ``make test`` trains
first; ``SHOP_TEST_MODEL`` points at another one), loaded as the Rasa servers load it
(``ops.model_load``): a missing model is a failure, not a skip.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, List

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from harness.paths import require_model
from ops import model_load

ROOT = Path(__file__).resolve().parents[2]

INTENTS: Dict[str, List[str]] = {
    "order_status": ["我买的东西怎么还没到啊", "帮我看下订单发货没有", "快递走到哪里了 查一下"],
    "list_orders": ["我下过哪些订单", "把我最近的订单都列出来"],
    "cancel_order": ["这个订单我不要了 帮我取消掉", "能不能把刚下的单撤销"],
    "return_item": ["衣服尺码不合适 我想退掉", "收到的东西坏了 要退货"],
    "return_status": ["我退的货你们收到了吗", "退款什么时候能到账"],
    "apply_coupon": ["结账的时候想用优惠码", "帮我把这张优惠券用上"],
    "ask_discounts": ["最近有什么打折活动吗", "双十一有优惠吗"],
    "view_cart": ["我的购物车里现在有什么", "看一下购物车"],
    "recommend_product": ["推荐一款适合跑步的鞋", "有什么适合送女朋友的礼物"],
    "human_handoff": ["我要找真人客服", "帮我转人工 机器人说不清楚"],
    "greet": ["哈喽 有人吗", "你好 请问现在有人在线吗"],
    "goodbye": ["好的 那我先下了 拜拜", "没别的事了 再见咯"],
    "thank_you": ["真是太感谢你们了", "谢谢你的帮忙"],
    "bot_challenge": ["你到底是不是机器人", "跟我聊天的是ai吗"],
}


#: The borders of data/nlu/zh/labels.yml, one message on each side (written for this test):
#: one's own item vs a kind of goods, an existing order vs delivery in general, a negated
#: cancel vs a cancel, service hours vs a person now, putting off vs goodbye.
BORDERS: Dict[str, List[str]] = {
    "return_item": ["我上个月买的这件羽绒服还能退吗"],
    "faq": ["特价清仓的商品支持退货吗", "一般下单后几天能送到", "人工客服晚上几点下班"],
    "order_status": ["我昨天下的单今天能送到吗"],
    "deny": ["还是别取消了", "下次再看吧"],
    "cancel_order": ["还没发货的那单帮我取消掉"],
    "human_handoff": ["现在帮我接人工客服"],
    "goodbye": ["没别的问题了 拜拜啦"],
}


@pytest.fixture(scope="module")
def parse():
    from rasa.core.agent import Agent

    model_load.install()
    agent = Agent.load(str(require_model()))

    def run(text: str) -> Dict[str, Any]:
        return asyncio.run(agent.parse_message(text))

    return run


def test_the_test_messages_are_not_training_examples() -> None:
    texts = {str(m.get("text")) for m in load_data(str(ROOT / "data" / "nlu")).training_examples}
    written = [t for ts in (*INTENTS.values(), *BORDERS.values()) for t in ts] + [t for t, _ in ENTITY_CASES]
    assert [t for t in written if t in texts] == []


@pytest.mark.parametrize(("intent", "text"), [(i, t) for i, ts in INTENTS.items() for t in ts])
def test_chinese_intents(parse, intent: str, text: str) -> None:
    result = parse(text)
    assert result["intent"]["name"] == intent, result["intent_ranking"][:3]
    assert {"entity": "language", "value": "zh"}.items() <= next(
        e for e in result["entities"] if e["entity"] == "language"
    ).items()


@pytest.mark.parametrize(("intent", "text"), [(i, t) for i, ts in BORDERS.items() for t in ts])
def test_chinese_borders_follow_the_labelling_conventions(parse, intent: str, text: str) -> None:
    result = parse(text)
    assert result["intent"]["name"] == intent, result["intent_ranking"][:3]


#: Entities inside Chinese text, from the CRF or, where it misses a code glued to Han
#: characters (the last five, missed by the CRF alone), from HanCodeEntityExtractor.
ENTITY_CASES = [
    ("单号 730519 到哪了", {("order_id", "730519")}),
    ("订单号是517293 邮箱wang.fang@163.com", {("order_id", "517293"), ("email", "wang.fang@163.com")}),
    ("我的邮箱是2718281828@qq.com", {("email", "2718281828@qq.com")}),
    ("用优惠码WELCOME15", {("coupon_code", "WELCOME15")}),
    ("我有个折扣码FREESHIP能用吗", {("coupon_code", "FREESHIP")}),
    ("有没有150美元以内的耳机", {("amount", "150美元")}),
    ("订单号618204怎么还没发货", {("order_id", "618204")}),
    ("我的订单#402716查不到", {("order_id", "402716")}),
    ("预算¥400左右的跑鞋", {("amount", "¥400")}),
    ("$80以下的背包推荐一下", {("amount", "$80")}),
    ("结账想用FALL25这个券", {("coupon_code", "FALL25")}),
]


@pytest.mark.parametrize(("text", "expected"), ENTITY_CASES)
def test_entities_inside_chinese_text(parse, text: str, expected) -> None:
    result = parse(text)
    found = {(e["entity"], str(e["value"])) for e in result["entities"] if e["entity"] != "language"}
    assert expected <= found, result["entities"]
    for entity in result["entities"]:  # spans point at the value in the text
        if entity["entity"] in ("order_id", "email", "coupon_code", "amount"):
            assert text[entity["start"] : entity["end"]].lstrip("#") == str(entity["value"])


def test_english_and_short_messages(parse) -> None:
    english = parse("where is my order 104523, it should have arrived")
    assert english["intent"]["name"] == "order_status"
    assert [e["value"] for e in english["entities"] if e["entity"] == "language"] == ["en"]
    assert not [e for e in parse("104523")["entities"] if e["entity"] == "language"]
    assert not [e for e in parse("ok")["entities"] if e["entity"] == "language"]
