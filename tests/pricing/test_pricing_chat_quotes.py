""" "How much with code X" without a cart, and the brute-force guard on code checks."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from shop.db.pricing_models import CouponAttempt, CouponRow
from shop.pricing.service import InvalidQuantity, UnknownProduct
from shop.pricing.throttle import TOO_MANY_ATTEMPTS, CodeAttemptThrottle
from tests.pricing.conftest import NOW

MIN = timedelta(minutes=1)


# quote_items -----------------------------------------------------------------------------


def test_quote_items_prices_named_products_with_a_code(shop):
    shop.coupon("SAVE10", min_subtotal=Decimal("50.00"))
    q = shop.service.quote_items([("tnt-1", 1), ("SCK-1-M", 2)], ["save10"], None, NOW)
    assert [(ln.line.sku, ln.line.quantity) for ln in q.lines] == [("TNT-1", 1), ("SCK-1-M", 2)]
    assert q.subtotal == Decimal("218.00")
    assert q.applied_codes == ("SAVE10",)
    assert q.explain()[0] == "SAVE10: -$21.80, 10% off everything"
    assert q.total == Decimal("196.20")  # free shipping over $75


def test_quote_items_merges_a_repeated_sku_and_tells_what_is_missing(shop):
    shop.coupon("SAVE10", min_subtotal=Decimal("50.00"))
    q = shop.service.quote_items([("SCK-1", 1), ("SCK-1", 2)], ["SAVE10"], None, NOW)
    assert [ln.line.quantity for ln in q.lines] == [3]
    (refused,) = q.rejections
    assert (refused.reason, refused.params["missing"]) == ("min_subtotal_not_met", "23.00")
    assert refused.message == "SAVE10 needs a subtotal of $50.00: spend $23.00 more."


def test_quote_items_writes_nothing(shop):
    shop.coupon("ONCE", single_use=True)
    for _ in range(3):
        assert shop.service.quote_items([("MUG-1", 1)], ["ONCE"], shop.alice, NOW).applied_codes == ("ONCE",)
    with shop.sessions() as s:
        assert s.scalar(select(CouponRow.usage_count).where(CouponRow.code == "ONCE")) == 0


def test_quote_items_refuses_unknown_skus_and_bad_quantities(shop):
    with pytest.raises(UnknownProduct, match="NOPE-1"):
        shop.service.quote_items([("TNT-1", 1), ("nope-1", 1)], [], None, NOW)
    for qty in (0, -2, 101, 1.5):
        with pytest.raises(InvalidQuantity):
            shop.service.quote_items([("TNT-1", qty)], [], None, NOW)
    assert shop.service.quote_items([], ["X" * 10_000], None, NOW).rejections[0].reason == "unknown_code"


# CodeAttemptThrottle ---------------------------------------------------------------------


def misses(shop, codes):
    return shop.service.quote_items([("MUG-1", 1)], codes, None, NOW).rejections


def test_fifth_miss_blocks_the_conversation_with_a_clear_wait(shop):
    throttle = CodeAttemptThrottle(shop.sessions, max_failures=5, window=timedelta(minutes=15))
    for i in range(4):
        status = throttle.record("conv-a", misses(shop, [f"GUESS{i}"]), NOW + i * MIN)
        assert status.allowed and status.remaining == 4 - i
    blocked = throttle.record("conv-a", misses(shop, ["GUESS9"]), NOW + 4 * MIN)
    assert not blocked.allowed
    assert throttle.check("conv-a", NOW + 5 * MIN) == blocked
    refusal = blocked.rejection(NOW + 5 * MIN)
    assert refusal is not None and refusal.reason == TOO_MANY_ATTEMPTS
    # the oldest miss (at NOW) leaves the 15-minute window at NOW + 15 min
    assert refusal.params == {"retry_after_minutes": 10, "retry_at": (NOW + 15 * MIN).isoformat()}
    assert refusal.message == (
        "That's too many codes that didn't work. Please wait 10 minutes before trying another one."
    )
    assert blocked.rejection(NOW + 14.5 * MIN).message.startswith(  # type: ignore[union-attr]
        "That's too many codes that didn't work. Please wait 1 minute "
    )
    assert throttle.check("conv-a", NOW + 15 * MIN).allowed
    assert throttle.check("conv-b", NOW + 5 * MIN).allowed  # per conversation


def test_only_unknown_codes_count_as_failures(shop):
    shop.coupon("SAVE10", min_subtotal=Decimal("500.00"))
    shop.coupon("OLD", expires_at=NOW - MIN)
    throttle = CodeAttemptThrottle(shop.sessions, max_failures=2)
    for _ in range(5):
        assert throttle.record("conv-c", misses(shop, ["SAVE10", "OLD"]), NOW).allowed
    assert throttle.record("conv-c", misses(shop, ["ｓａｖｅ１０", "  old "]), NOW).failures == 0
    assert not throttle.record("conv-c", misses(shop, ["NOPE", "S4VE10"]), NOW).allowed


def test_the_limit_holds_across_processes_and_old_rows_are_pruned(shop):
    CodeAttemptThrottle(shop.sessions, max_failures=3).record_failures("conv-d", 3, NOW)
    other = CodeAttemptThrottle(shop.sessions, max_failures=3)  # another action server
    assert not other.check("conv-d", NOW + MIN).allowed
    assert other.prune(NOW + timedelta(hours=1)) == 3
    with shop.sessions() as s:
        assert s.scalar(select(func.count(CouponAttempt.id))) == 0
    other.record_failures("conv-e", 1, NOW)
    other.reset("conv-e")
    assert other.check("conv-e", NOW).failures == 0


def test_throttle_settings_from_env(shop, monkeypatch):
    monkeypatch.setenv("SHOP_CODE_MAX_FAILURES", "2")
    monkeypatch.setenv("SHOP_CODE_WINDOW_MINUTES", "30")
    throttle = CodeAttemptThrottle(shop.sessions)
    assert (throttle.max_failures, throttle.window) == (2, timedelta(minutes=30))
    with pytest.raises(ValueError):
        CodeAttemptThrottle(shop.sessions, max_failures=0)
