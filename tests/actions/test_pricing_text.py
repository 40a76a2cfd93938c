"""Codes, deals and the cart in the shopper's language: English exactly as
``shop.pricing.replies`` and the rejections' own messages say it, Chinese from the catalogue.

The results are the pricing chat's own, on the mini shop of tests/pricing (SQLite).
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any, Callable

import pytest

from actions import pricing_text as pt
from shop.catalog import CatalogService
from shop.pricing import replies
from shop.pricing.chat import PricingChat
from shop.pricing.rejections import Reason, reject
from shop.pricing.throttle import CodeAttemptThrottle, ThrottleStatus
from tests.pricing.conftest import NOW, MiniShop, build_shop

HAN = re.compile("[\u4e00-\u9fff]")
#: English words of pricing's phrases: none may be left in a Chinese answer.
OFFER_WORDS = re.compile(r"\b(off|Use|until|spend|free|shipping|everything|applied|automatically)\b")
DAY = timedelta(days=1)


@pytest.fixture
def mini(make_db: Callable[..., Any]) -> MiniShop:
    return build_shop(make_db("sqlite", False).sessions)


@pytest.fixture
def chat(mini: MiniShop) -> PricingChat:
    return PricingChat(
        mini.sessions, mini.service, CodeAttemptThrottle(mini.sessions), CatalogService(mini.sessions)
    )


def _both(english: str, chinese: str) -> None:
    assert HAN.search(chinese), chinese
    assert chinese != english
    assert not OFFER_WORDS.search(chinese), chinese


REJECTIONS = [
    (Reason.UNKNOWN_CODE, {}),
    (Reason.INACTIVE, {}),
    (Reason.NOT_STARTED, {"starts_at": NOW + 3 * DAY}),
    (Reason.EXPIRED, {"expired_at": NOW - DAY}),
    (Reason.LIMIT_REACHED, {}),
    (Reason.ALREADY_USED_BY_CUSTOMER, {"limit": 1}),
    (Reason.ALREADY_USED_BY_CUSTOMER, {"limit": 3}),
    (Reason.SIGN_IN_REQUIRED, {}),
    (Reason.FIRST_ORDER_ONLY, {}),
    (Reason.MIN_SUBTOTAL_NOT_MET, {"min_subtotal": Decimal("50.00"), "missing": Decimal("12.30")}),
    (Reason.MIN_QUANTITY_NOT_MET, {"min_quantity": 3, "missing": 1}),
    (Reason.MIN_QUANTITY_NOT_MET, {"min_quantity": 3, "missing": 2}),
    (Reason.NO_ELIGIBLE_ITEMS, {"applies_to": "Tents and Socks"}),
    (Reason.NOT_COMBINABLE, {"kept": "SAVE10, FREESHIP"}),
]


@pytest.mark.parametrize("reason, params", REJECTIONS)
def test_a_refusal_in_english_is_the_rejections_own_sentence(reason: Reason, params: dict[str, Any]) -> None:
    rejection = reject("SAVE10", reason, **params)
    assert pt.rejection_text(rejection, "en") == rejection.message
    _both(rejection.message, pt.rejection_text(rejection, "zh"))


def test_a_refusal_in_chinese_has_local_money_and_dates() -> None:
    short = reject("SAVE10", Reason.MIN_SUBTOTAL_NOT_MET, min_subtotal=Decimal("50"), missing=Decimal("12.3"))
    assert pt.rejection_text(short, "zh") == "SAVE10 需要订单小计满 US$50.00：还差 US$12.30。"
    expired = reject("OLD20", Reason.EXPIRED, expired_at=NOW - DAY)
    assert pt.rejection_text(expired, "zh") == "OLD20 已于 2024年5月31日 过期。"


def test_an_unknown_code_reads_the_same_whatever_its_shape() -> None:
    for code in ("NOPE", "x" * 40, "SAVE10"):
        assert (
            pt.rejection_text(reject(code, Reason.UNKNOWN_CODE), "zh")
            == "这个优惠码无法识别。请检查一下拼写。"
        )


def test_too_many_attempts_tells_the_wait_in_both_languages() -> None:
    for minutes in (1, 7):
        status = ThrottleStatus(False, 5, 5, retry_at=NOW + timedelta(minutes=minutes))
        rejection = status.rejection(NOW)
        assert rejection is not None
        assert pt.rejection_text(rejection, "en") == rejection.message
        assert f"{minutes} 分钟" in pt.rejection_text(rejection, "zh")


def test_a_reason_the_catalogue_does_not_know_keeps_its_own_words() -> None:
    odd = reject("SAVE10", Reason.INACTIVE)
    odd = type(odd)(code="SAVE10", reason="brand_new_reason", params={}, message="Something new.")
    assert pt.rejection_text(odd, "zh") == "Something new."


def test_cart_changes_match_the_pricing_replies(chat: PricingChat, mini: MiniShop) -> None:
    sender = "rest:cart"
    changes = [
        chat.add(sender, None, "Ridge Tent", NOW),
        chat.add(sender, None, "Trail Sock", NOW, size="M", quantity=2),
        chat.add(sender, None, "Trail Sock", NOW, size="XXL"),
        chat.add(sender, None, "Ridge Tent", NOW, quantity=0),
        chat.add(sender, None, "No Such Thing", NOW),
        chat.remove(sender, None, "Camp Mug", NOW),
        chat.remove(sender, None, "Ridge Tent", NOW),
        chat.remove(sender, None, "Trail Sock", NOW),
    ]
    statuses = {c.status for c in changes}
    assert {"added", "removed", "not_in_cart", "not_found"} <= statuses, statuses
    for change in changes:
        labels = chat.variant_labels(change.summary) if change.summary else {}
        english = replies.change_text(change, labels)
        assert pt.change_text(change, labels, "en") == english
        _both(english, pt.change_text(change, labels, "zh"))


def test_codes_and_quotes_match_the_pricing_replies(chat: PricingChat, mini: MiniShop) -> None:
    mini.coupon("SAVE10", min_subtotal=Decimal("50.00"))
    mini.coupon("OLD", expires_at=NOW - DAY)
    mini.coupon("BIG", min_subtotal=Decimal("500.00"))
    sender = "rest:codes"
    results = [chat.try_code(sender, None, "SAVE10", NOW)]  # empty cart: its terms
    chat.add(sender, None, "Ridge Tent", NOW)
    results += [chat.try_code(sender, None, code, NOW) for code in ("SAVE10", "OLD", "BIG", "NOPE")]
    assert {r.status for r in results} >= {"terms", "applied", "rejected"}
    for result in results:
        labels = chat.variant_labels(result.quote) if result.quote else {}
        english = replies.code_result_text(result, labels)
        assert pt.code_result_text(result, labels, "en") == english
        _both(english, pt.code_result_text(result, labels, "zh"))
    q = chat.summary(sender, None, NOW, codes=("SAVE10",))
    assert pt.quote_text(q, {}, "en") == replies.quote_text(q, {})
    chinese = pt.quote_text(q, {}, "zh")
    assert "• 1 × Ridge Tent：US$200.00" in chinese
    assert chinese.endswith("小计 US$200.00，优惠 -US$25.99，运费 免费。合计：US$180.00。")
    assert "SAVE10：-US$20.00，全场商品优惠 10%" in chinese, chinese
    assert "免运费：-US$5.99，订单满" in chinese, chinese


def test_deals_match_the_pricing_replies(chat: PricingChat, mini: MiniShop) -> None:
    mini.service.create_promotion(
        name="Camp week", kind="percentage", value=Decimal("15"), categories=["Tents"],
        starts_at=NOW - 2 * DAY, ends_at=NOW + 5 * DAY,
    )  # fmt: skip
    mini.coupon("SAVE10", public=True, min_subtotal=Decimal("50.00"), expires_at=NOW + 30 * DAY)
    for customer, verified in ((None, False), (mini.alice, True)):
        offers = chat.offers(customer, NOW)
        english = replies.offers_text(offers, verified)
        assert pt.offers_text(offers, verified, "en") == english
        _both(english, pt.offers_text(offers, verified, "zh"))
    assert pt.offers_text([], True, "zh") == "目前没有进行中的优惠活动。"
    zh = pt.offers_text(chat.offers(None, NOW), False, "zh")
    assert "Camp week：帐篷优惠 15%，自动生效，有效期至" in zh, zh
    assert "使用 SAVE10 可享全场商品优惠 10%（订单满 US$50.00 可用）" in zh, zh


def test_a_refused_category_code_names_the_category_in_chinese() -> None:
    rejection = reject("OUTDOOR20", Reason.NO_ELIGIBLE_ITEMS, applies_to="Outdoor")
    assert pt.rejection_text(rejection, "zh") == "OUTDOOR20 适用于 户外用品，您的购物车中没有符合条件的商品。"


def test_the_cart_names_products_in_chinese_where_the_catalog_has_a_chinese_name(
    chat: PricingChat, mini: MiniShop
) -> None:
    from sqlalchemy import update

    from shop.db.models import Product

    with mini.sessions() as s, s.begin():
        s.execute(update(Product).where(Product.sku == "TNT-1").values(name_zh="Ridge 帐篷"))
    pricing = PricingChat(
        mini.sessions, mini.service, CodeAttemptThrottle(mini.sessions), CatalogService(mini.sessions)
    )
    change = pricing.add("rest:zh-names", None, "Ridge Tent", NOW)
    assert change.status == "added" and change.name_zh == "Ridge 帐篷"
    assert change.summary is not None
    names = pricing.display_names(change.summary, "zh")
    assert set(names.values()) == {"Ridge 帐篷"} and pricing.display_names(change.summary, "en") == {}
    zh = pt.change_text(change, {}, "zh", names)
    assert zh.startswith("已将 1 × Ridge 帐篷 加入您的购物车。\n• 1 × Ridge 帐篷：US$200.00"), zh
    assert pt.change_text(change, {}, "en", {}) == replies.change_text(change, {})
