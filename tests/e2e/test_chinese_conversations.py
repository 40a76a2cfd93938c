"""A Chinese-speaking shopper, end to end over REST (issue 14): every flow an English shopper
has, answered in Chinese, with the same data and the same privacy rules.

Replies must be Chinese: Han characters and no run of three or more English words once the
catalog's own words (product names, brands, colours, materials, descriptions, shipping
places, carriers) are taken out; those are the shop's data, the same in every language.
The phrasings are the ones a shopper types, not picked from the training data.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any, Dict, Iterable, List, Tuple

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from harness.stack import Stack
from shop.catalog_i18n import COLOR_ZH
from shop.db.models import (
    HandoffRequest,
    Order,
    Product,
    ProductVariant,
    Return,
    Shipment,
    ShipmentEvent,
)
from shop.seed.demo import DEMO_ORDERS
from tests.e2e.helpers import Replies, cancellation_record, payloads, pick_order, text_of

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
#: Three or more English words in a row: an untranslated sentence (or part of one).
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?: +[A-Za-z][A-Za-z'’-]*){2,}")
#: What only a full order answer shows (zh): items, total, carrier, tracking number.
DETAIL_WORDS_ZH = ("商品：", "合计：", "承运商", "运单号", "已送达", "配送途中")


@pytest.fixture(scope="module")
def catalog_words(shop_db: sessionmaker) -> List[str]:
    """The shop's own English words, longest first: allowed inside a Chinese reply."""
    with shop_db() as s:
        words = set(s.scalars(select(Product.name)))
        words |= set(s.scalars(select(Product.brand)))
        words |= set(s.scalars(select(Product.materials)))
        words |= set(s.scalars(select(Product.description)))
        words |= set(s.scalars(select(Product.category)))
        words |= set(s.scalars(select(ProductVariant.color)))
        words |= set(s.scalars(select(ShipmentEvent.location)))
        words |= set(s.scalars(select(Shipment.carrier)))
    return sorted((w for w in words if w), key=len, reverse=True)


def english_left(text: str, allowed: Iterable[str]) -> List[str]:
    """The English word runs of ``text`` once the allowed catalog words are taken out."""
    rest = text
    for word in allowed:
        if word in rest:
            rest = rest.replace(word, " ¦ ")
    return ENGLISH_RUN.findall(rest)


def assert_chinese(replies: Replies, allowed: Iterable[str]) -> str:
    """The replies' text, checked to be Chinese (Han, no untranslated English sentence)."""
    text = text_of(replies)
    assert text.strip(), f"no text in {replies}"
    assert HAN.search(text), f"no Chinese in {text!r}"
    left = english_left(text, allowed)
    assert not left, f"untranslated English {left} in {text!r}"
    for r in replies:
        for b in r.get("buttons") or []:
            assert HAN.search(b["title"]) or b["title"].isascii() and not ENGLISH_RUN.search(b["title"]), b
    return text


def language_slot(stack: Stack, sender: str) -> Any:
    return stack.tracker(sender)["slots"].get("language")


# -- order status and the identity check ------------------------------------------------


def test_order_status_in_chinese_after_number_then_email(
    stack: Stack, sender: str, catalog_words: List[str]
) -> None:
    number, email = DEMO_ORDERS["shipped"]
    ask = assert_chinese(stack.say(sender, "我的订单到哪了？"), catalog_words)
    assert "订单号" in ask and not any(w in ask for w in DETAIL_WORDS_ZH)
    ask_email = assert_chinese(stack.say(sender, f"订单号是 {number}"), catalog_words)
    assert "邮箱" in ask_email and not any(w in ask_email for w in DETAIL_WORDS_ZH)
    reply = assert_chinese(stack.say(sender, email), catalog_words)
    assert f"#{number}" in reply and "正在配送途中" in reply
    assert "运单号" in reply and "预计送达" in reply
    assert language_slot(stack, sender) == "zh"


def test_order_number_in_the_first_message_then_email(
    stack: Stack, sender: str, catalog_words: List[str]
) -> None:
    number, email = DEMO_ORDERS["delivered_recent"]
    ask = assert_chinese(stack.say(sender, f"帮我查一下订单 {number} 的物流"), catalog_words)
    assert "邮箱" in ask and not any(w in ask for w in DETAIL_WORDS_ZH)
    reply = assert_chinese(stack.say(sender, f"我的邮箱是 {email}"), catalog_words)
    assert f"#{number}" in reply and "已送达" in reply


def test_wrong_email_refused_in_chinese_without_telling_whether_the_order_exists(
    stack: Stack, catalog_words: List[str]
) -> None:
    number, _ = DEMO_ORDERS["shipped"]
    a, b = (f"zh-probe-{uuid.uuid4().hex[:8]}" for _ in range(2))
    existing = stack.say(a, f"查询订单 {number}") + stack.say(a, f"nobody-{a}@example.com")
    missing = stack.say(b, "查询订单 999998") + stack.say(b, f"nobody-{b}@example.com")
    text_existing = assert_chinese(existing, catalog_words).replace(a, "<sender>")
    text_missing = assert_chinese(missing, catalog_words).replace(b, "<sender>")
    assert "没有找到与该订单号和邮箱相符的订单" in text_existing
    assert not any(w in text_existing for w in DETAIL_WORDS_ZH)
    assert text_existing.replace(number, "<n>") == text_missing.replace("999998", "<n>")


def test_email_corrected_in_chinese_after_a_failed_check_is_kept(
    stack: Stack, sender: str, shop_db: sessionmaker, catalog_words: List[str]
) -> None:
    number, email = pick_order(shop_db, "shipped")  # its own: a failure counts for every sender
    stack.say(sender, f"查询订单 {number}")
    failed = assert_chinese(stack.say(sender, f"typo-{sender}@example.com"), catalog_words)
    assert "没有找到与该订单号和邮箱相符的订单" in failed
    asked = assert_chinese(stack.say(sender, f"不好意思，邮箱写错了，是 {email}"), catalog_words)
    assert "订单号" in asked and not any(w in asked for w in DETAIL_WORDS_ZH)
    reply = assert_chinese(stack.say(sender, number), catalog_words)
    assert f"#{number}" in reply and "正在配送途中" in reply


# -- cancel and return -----------------------------------------------------------------


def test_cancel_an_order_in_chinese(
    stack: Stack, sender: str, shop_db: sessionmaker, catalog_words: List[str]
) -> None:
    number, email = pick_order(shop_db, "processing")
    stack.say(sender, f"我想取消订单 {number}")
    ask = stack.say(sender, email)
    assert "您确定要取消吗" in assert_chinese(ask, catalog_words)
    assert {"/affirm", "/deny"} <= set(payloads(ask))
    done = assert_chinese(stack.say(sender, "是的，取消吧"), catalog_words)
    assert f"订单 #{number} 已取消" in done
    assert cancellation_record(shop_db, number) == ("cancelled", 1)


def test_cancel_declined_in_chinese_changes_nothing(
    stack: Stack, sender: str, shop_db: sessionmaker, catalog_words: List[str]
) -> None:
    number, email = pick_order(shop_db, "pending")
    stack.say(sender, f"订单 {number} 不想要了，帮我取消")
    stack.say(sender, email)
    assert "保持不变" in assert_chinese(stack.say(sender, "算了，不取消了"), catalog_words)
    with shop_db() as s:
        assert s.scalar(select(Order.status).where(Order.order_number == number)) == "pending"


def test_start_a_return_in_chinese(
    stack: Stack, sender: str, shop_db: sessionmaker, catalog_words: List[str]
) -> None:
    number, email = pick_order(shop_db, "delivered", returnable=True)
    assert "订单号" in assert_chinese(stack.say(sender, "我想退货"), catalog_words)
    assert "邮箱" in assert_chinese(stack.say(sender, number), catalog_words)
    ask_item = stack.say(sender, email)
    assert "想退哪件商品" in assert_chinese(ask_item, catalog_words)
    items = [p for p in payloads(ask_item) if "return_selection" in p]
    assert items, text_of(ask_item)
    assert "退货原因" in assert_chinese(stack.say(sender, items[0]), catalog_words)
    confirm = assert_chinese(stack.say(sender, "拉链用了一天就坏了"), catalog_words)
    assert "预计退款" in confirm
    done = assert_chinese(stack.say(sender, "确认"), catalog_words)
    assert "RMA-" in done
    with shop_db() as s:
        rows = list(
            s.scalars(
                select(Return).join(Order, Order.id == Return.order_id).where(Order.order_number == number)
            )
        )
    assert len(rows) == 1
    assert rows[0].rma_number in done and rows[0].reason == "拉链用了一天就坏了"
    assert f"{rows[0].refund_amount:,.2f}" in done


# -- FAQ, products, recommendations -----------------------------------------------------


def test_faq_in_chinese(stack: Stack, sender: str, catalog_words: List[str]) -> None:
    assert "1-2 个工作日内发货" in assert_chinese(stack.say(sender, "多久发货？"), catalog_words)
    assert "Visa" in assert_chinese(stack.say(sender, "你们支持哪些付款方式？"), catalog_words)
    assert "30 天内" in assert_chinese(stack.say(sender, "退货政策是怎样的？"), catalog_words)


def _product(shop_db: sessionmaker, sku: str) -> Product:
    with shop_db() as s:
        return s.execute(select(Product).where(Product.sku == sku)).scalar_one()


def test_product_question_in_chinese(
    stack: Stack, sender: str, shop_db: sessionmaker, catalog_words: List[str]
) -> None:
    jacket = _product(shop_db, "JKT-000026")  # the Summit Down Jacket
    assert jacket.name_zh
    with shop_db() as s:
        stocked = s.scalars(
            select(ProductVariant.size)
            .where(ProductVariant.product_id == jacket.id, ProductVariant.stock > 0)
            .order_by(ProductVariant.id)
        ).first()
    assert stocked
    price = assert_chinese(stack.say(sender, f"{jacket.name}多少钱？"), catalog_words)
    assert f"{jacket.price:,.2f}" in price
    stock = assert_chinese(stack.say(sender, f"{jacket.name_zh}有{stocked}码的现货吗？"), catalog_words)
    assert "有现货" in stock and jacket.name_zh in stock


def _cards(replies: Replies) -> List[Dict[str, Any]]:
    custom = [r["custom"] for r in replies if isinstance(r.get("custom"), dict)]
    assert custom and custom[0]["type"] == "carousel", f"no carousel in {replies}"
    return list(custom[0]["products"])


def test_recommendation_in_chinese_is_a_carousel_with_chinese_names(
    stack: Stack, sender: str, shop_db: sessionmaker, catalog_words: List[str]
) -> None:
    replies = stack.say(sender, "推荐一件80美元以内的防水夹克")
    text = assert_chinese(replies, catalog_words)
    cards = _cards(replies)
    assert 1 <= len(cards) <= 5
    custom = [r["custom"] for r in replies if isinstance(r.get("custom"), dict)][0]
    assert HAN.search(custom.get("intro", "")), custom
    for card in cards:
        product = _product(shop_db, card["sku"])
        assert product.price < Decimal("80")
        assert product.category == "Jackets"
        assert card["title"] == (product.name_zh or product.name), card
        assert card["title"] in text and card["sku"] not in text
        assert f"{product.price:,.2f}" in card["price"]


# -- coupons ---------------------------------------------------------------------------


def test_coupon_terms_in_chinese(stack: Stack, sender: str, catalog_words: List[str]) -> None:
    reply = assert_chinese(stack.say(sender, "我有个优惠码 SAVE10，怎么用？"), catalog_words)
    assert "SAVE10" in reply and "10%" in reply and "50.00" in reply
    assert "结账时扣除" in reply


def test_refused_coupon_says_why_in_chinese(stack: Stack, sender: str, catalog_words: List[str]) -> None:
    expired = assert_chinese(stack.say(sender, "优惠码 SUMMER25 为什么用不了？"), catalog_words)
    assert "SUMMER25 已于" in expired and "年" in expired and "过期" in expired
    unknown = assert_chinese(stack.say(f"{sender}-b", "用一下优惠码 NOSUCH99"), catalog_words)
    assert "这个优惠码无法识别" in unknown


def _cart_product(shop_db: sessionmaker) -> Tuple[Product, str, str]:
    """A jacket priced 60-70 with a Chinese name and an in-stock variant whose colour has a
    Chinese word: (it, size, colour in Chinese)."""
    with shop_db() as s:
        rows = s.execute(
            select(Product, ProductVariant.size, ProductVariant.color)
            .join(ProductVariant, ProductVariant.product_id == Product.id)
            .where(
                Product.category == "Jackets",
                Product.price >= 60,
                Product.price < 70,
                Product.name_zh.is_not(None),
                ProductVariant.stock > 0,
                ProductVariant.size.is_not(None),
                ProductVariant.color.is_not(None),
            )
            .order_by(Product.id, ProductVariant.id)
        ).all()
    for product, size, color in rows:
        zh = COLOR_ZH.get(color.lower(), "").split()
        if zh:
            return product, size, zh[0]
    raise LookupError("no jacket variant with a Chinese colour word")


def test_coupon_on_a_cart_in_chinese(
    stack: Stack, sender: str, shop_db: sessionmaker, catalog_words: List[str]
) -> None:
    product, size, color = _cart_product(shop_db)
    added = assert_chinese(
        stack.say(sender, f"把{product.name_zh} {size}码 {color}的加入购物车"), catalog_words
    )
    assert "加入您的购物车" in added and product.name_zh in added, added
    applied = assert_chinese(stack.say(sender, "用优惠码 SAVE10"), catalog_words)
    assert applied.startswith("SAVE10 可以使用"), applied
    refused = assert_chinese(stack.say(sender, "那 TAKE5 呢？用一下 TAKE5"), catalog_words)
    assert "TAKE5 需要购物车中至少有 2 件商品" in refused


# -- a person ---------------------------------------------------------------------------


def test_handoff_in_chinese(
    stack: Stack, sender: str, shop_db: sessionmaker, catalog_words: List[str]
) -> None:
    reply = assert_chinese(stack.say(sender, "转人工"), catalog_words)
    assert "客服团队" in reply
    with shop_db() as s:
        rows = s.scalars(select(HandoffRequest).where(HandoffRequest.sender_id == f"rest:{sender}")).all()
    assert [(r.status, r.channel) for r in rows] == [("open", "rest")]
    assert stack.say(sender, "你好？") == []
    assert stack.tracker(sender)["paused"] is True


# -- switching language ------------------------------------------------------------------


def test_english_then_chinese_and_back(stack: Stack, sender: str, catalog_words: List[str]) -> None:
    number, email = DEMO_ORDERS["shipped"]
    ask = text_of(stack.say(sender, "hi, where is my order?"))
    assert "order number" in ask.lower() and not HAN.search(ask)
    assert language_slot(stack, sender) == "en"
    # A bare order number and an email carry no language: the conversation's stays.
    assert "email" in text_of(stack.say(sender, number)).lower()
    status = text_of(stack.say(sender, email))
    assert f"Order #{number}" in status and not HAN.search(status)
    assert language_slot(stack, sender) == "en"
    # Chinese now: the answer is Chinese, and so is the answer to a short "ok" after it.
    assert "1-2 个工作日内发货" in assert_chinese(stack.say(sender, "你们一般多久发货？"), catalog_words)
    assert language_slot(stack, sender) == "zh"
    ok = stack.say(sender, "ok")
    assert language_slot(stack, sender) == "zh"
    if text_of(ok).strip():
        assert_chinese(ok, catalog_words)
    # And back to English.
    back = text_of(stack.say(sender, "which credit cards do you accept?"))
    assert "Visa" in back and not HAN.search(back)
    assert language_slot(stack, sender) == "en"


def test_chinese_conversation_keeps_chinese_for_number_and_email_then_english(
    stack: Stack, sender: str, catalog_words: List[str]
) -> None:
    number, email = DEMO_ORDERS["delivered_recent"]
    assert "订单号" in assert_chinese(stack.say(sender, "我想查一下我的订单"), catalog_words)
    assert "邮箱" in assert_chinese(stack.say(sender, number), catalog_words)
    assert language_slot(stack, sender) == "zh"
    reply = assert_chinese(stack.say(sender, email.upper()), catalog_words)
    assert f"#{number}" in reply and "已送达" in reply
    assert language_slot(stack, sender) == "zh"
    english = text_of(stack.say(sender, "do you ship to Canada?"))
    assert "Canada" in english and not HAN.search(english)
    assert language_slot(stack, sender) == "en"
