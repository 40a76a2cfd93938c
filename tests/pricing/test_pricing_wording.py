"""Offers in words per language (shop.pricing.wording, offers): English word for word as
before, Chinese from the message catalogue with local money and dates (issue 14)."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

import pytest

from shop.pricing.model import DiscountLine
from shop.pricing.offers import OfferView, coupon_sentence, promotion_sentence
from shop.pricing.wording import (
    category_name,
    describe_coupon,
    describe_promotion,
    describe_scope,
    free_shipping_over,
    scope_text_in,
)
from tests.pricing.builders import coupon, promo, scope

HAN = re.compile("[\u4e00-\u9fff]")
#: English words of the offer phrases: none may be left in a Chinese one.
ENGLISH = re.compile(r"\b(off|Use|for|until|when|spend|free|shipping|buy|get|orders?|items?|everything)\b")
END = datetime(2024, 6, 12, 18, 0)

PROMOTIONS = [
    (
        promo(1, "percentage", "15", scope=scope(include_categories={"Tents"})),
        "15% off Tents",
        "帐篷优惠 15%",
    ),
    (
        promo(2, "buy_x_get_y", buy_quantity=2, get_quantity=1),
        "buy 2 get 1 free on everything",
        "全场商品买 2 送 1",
    ),
    (promo(3, "fixed", "5"), "$5.00 off everything", "全场商品立减 US$5.00"),
    (
        promo(4, "spend_threshold", "10", min_subtotal=Decimal("75")),
        "$10.00 off when you spend $75.00",
        "满 US$75.00 减 US$10.00",
    ),
    (
        promo(5, "spend_threshold", "10", min_subtotal=Decimal("75"), scope=scope(include_products={7})),
        "$10.00 off when you spend $75.00 on selected items",
        "指定商品满 US$75.00 减 US$10.00",
    ),
    (promo(6, "free_shipping"), "free shipping", "免运费"),
]


@pytest.mark.parametrize("p, english, chinese", PROMOTIONS)
def test_each_promotion_kind_in_both_languages(p, english: str, chinese: str) -> None:  # type: ignore[no-untyped-def]
    assert describe_promotion(p, "USD") == english
    assert describe_promotion(p, "USD", "zh") == chinese


def test_coupons_in_both_languages() -> None:
    save = coupon("SAVE10", min_subtotal=Decimal("50"), expires_at=END)
    assert describe_coupon(save, "USD", "zh") == "全场商品优惠 10%"
    assert (
        coupon_sentence(save)
        == "Use SAVE10 for 10% off everything on orders of $50.00 or more, until 12 June 2024."
    )
    assert (
        coupon_sentence(save, lang="zh")
        == "使用 SAVE10 可享全场商品优惠 10%（订单满 US$50.00 可用），有效期至 2024年6月12日。"
    )
    take = coupon("TAKE5", "fixed", "5", min_quantity=2, first_order_only=True)
    assert (
        coupon_sentence(take)
        == "Use TAKE5 for $5.00 off everything when you buy 2 or more items on your first order."
    )
    zh = coupon_sentence(take, lang="zh", verify=True)
    assert (
        zh == "使用 TAKE5 可享全场商品立减 US$5.00（购买 2 件或以上可用）（仅限首单）（验证账户后即可使用）。"
    )
    assert coupon_sentence(take, verify=True).endswith("first order (verify your account to use it).")
    ship = coupon("FREESHIP", "free_shipping")
    assert describe_coupon(ship, "USD") == "free shipping" and describe_coupon(ship, "USD", "zh") == "免运费"


def test_promotion_sentence_and_shipping_waiver() -> None:
    camp = promo(
        1, "percentage", "15", name="Camp week", ends_at=END, scope=scope(include_categories={"Tents"})
    )
    assert promotion_sentence(camp) == "Camp week: 15% off Tents, applied automatically, until 12 June 2024."
    assert (
        promotion_sentence(camp, lang="zh") == "Camp week：帐篷优惠 15%，自动生效，有效期至 2024年6月12日。"
    )
    assert free_shipping_over(Decimal("75"), "USD") == "free shipping on orders over $75.00"
    assert free_shipping_over(Decimal("75"), "USD", "zh") == "订单满 US$75.00 免运费"


def test_scopes_and_categories() -> None:
    two = scope(include_categories={"Tents", "Socks"})
    assert describe_scope(two) == "Socks and Tents"
    assert describe_scope(two, "zh") == "袜子、帐篷"
    assert describe_scope(scope(exclude_categories={"Tents"}), "zh") == "适用商品"
    assert category_name("Outdoor", "zh") == "户外用品"
    assert category_name("Garden Gnomes", "zh") == "Garden Gnomes"  # a merchant's own: as written
    # A refusal's English scope text, said again in Chinese.
    assert scope_text_in("Socks and Tents", "zh") == "袜子、帐篷"
    assert scope_text_in("Outdoor, Socks and Tents", "zh") == "户外用品、袜子、帐篷"
    assert scope_text_in("everything", "zh") == "全场商品"
    assert scope_text_in("Socks and Tents", "en") == "Socks and Tents"


def test_no_english_left_in_any_chinese_phrase() -> None:
    for p, _, _ in PROMOTIONS:
        assert not ENGLISH.search(describe_promotion(p, "USD", "zh"))
        assert not ENGLISH.search(promotion_sentence(p, lang="zh").replace(p.name, ""))
    for c in (
        coupon("A1", min_subtotal=Decimal("1")),
        coupon("B2", "fixed", "3"),
        coupon("C3", "free_shipping"),
    ):
        text = coupon_sentence(c, lang="zh", verify=True).replace(c.code, "")
        assert HAN.search(text) and not ENGLISH.search(text), text


def test_a_discount_line_and_an_offer_in_another_language() -> None:
    c = coupon("SAVE10")
    line = DiscountLine("coupon", "SAVE10", Decimal("5"), describe_coupon(c, "USD"), "USD",
                        words=lambda lang: describe_coupon(c, "USD", lang))  # fmt: skip
    assert line.description_in("en") == "10% off everything" == line.description
    assert line.description_in("zh") == "全场商品优惠 10%"
    plain = DiscountLine("promotion", "Old", Decimal("1"), "an old description", "USD")
    assert plain.description_in("zh") == "an old description"  # nothing to word it with: as it is
    offer = OfferView("SAVE10", "T", "S.", None, "coupon", words=lambda lang: ("标题", "句子。"))
    assert offer.in_language("en") == ("T", "S.") and offer.in_language("zh") == ("标题", "句子。")
    assert offer == OfferView("SAVE10", "T", "S.", None, "coupon")  # the wording is not the offer's identity
