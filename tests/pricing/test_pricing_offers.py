"""``offers_for``: public deals for everyone, personal offers for a verified customer."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, update

from shop.db.models import Order
from shop.db.pricing_models import CouponRow
from shop.pricing.offers import OfferSettings
from shop.pricing.service import PricingService
from tests.pricing.conftest import NOW, SETTINGS

DAY = timedelta(days=1)


def placed(shop, customer_id, days_ago, total="200.00", status="delivered"):
    """An order of one tent placed ``days_ago``, worth ``total`` to lifetime spend."""
    order_id = shop.order(customer_id, [(shop.tent, 1)], status=status)
    with shop.sessions.begin() as s:
        s.execute(
            update(Order)
            .where(Order.id == order_id)
            .values(created_at=NOW - days_ago * DAY, total=Decimal(total), subtotal=Decimal(total))
        )
    return order_id


def public_deals(shop):
    shop.service.create_promotion(
        name="Camp week", kind="percentage", value=Decimal("15"), categories=["Tents"],
        starts_at=NOW - 2 * DAY, ends_at=NOW + 5 * DAY,
    )  # fmt: skip
    shop.service.create_promotion(name="Hidden", kind="percentage", value=Decimal("50"), public=False)
    shop.service.create_promotion(name="Over", kind="percentage", value=Decimal("5"), ends_at=NOW - DAY)
    shop.coupon("SAVE10", public=True, min_subtotal=Decimal("50.00"), expires_at=NOW + 30 * DAY)
    shop.coupon("SECRET5", value=Decimal("5"))  # not public
    shop.coupon("OLD20", public=True, expires_at=NOW - DAY)
    shop.coupon("WELCOME15", value=Decimal("15"), first_order_only=True, per_customer_limit=1)


def by_kind(offers):
    return {o.kind: o for o in offers}


def test_anonymous_shopper_sees_public_live_promotions_and_public_codes_only(shop):
    public_deals(shop)
    offers = shop.service.offers_for(None, NOW)
    assert [(o.kind, o.code, o.title) for o in offers] == [
        ("promotion", None, "Camp week"),
        ("coupon", "SAVE10", "10% off everything"),
    ]
    camp, save = offers
    assert camp.sentence == "Camp week: 15% off Tents, applied automatically, until 6 June 2024."
    assert camp.ends_at == NOW + 5 * DAY
    assert save.sentence == (
        "Use SAVE10 for 10% off everything on orders of $50.00 or more, until 1 July 2024."
    )
    assert not any(o.personal for o in offers)


def test_new_customer_gets_the_welcome_code(shop):
    public_deals(shop)
    offers = shop.service.offers_for(shop.carol, NOW)
    welcome = offers[0]
    assert (welcome.kind, welcome.code, welcome.personal) == ("welcome", "WELCOME15", True)
    assert welcome.sentence == "Use WELCOME15 for 15% off everything on your first order."
    assert {"win_back", "loyalty"}.isdisjoint(by_kind(offers))


def test_customer_with_an_order_gets_no_welcome_and_no_personal_offer_when_recent(shop):
    public_deals(shop)
    placed(shop, shop.alice, days_ago=10)
    offers = shop.service.offers_for(shop.alice, NOW)
    assert [o.kind for o in offers] == ["promotion", "coupon"]


def test_win_back_code_for_a_lapsed_customer_is_personal_single_use_and_idempotent(shop):
    placed(shop, shop.alice, days_ago=61)
    first = by_kind(shop.service.offers_for(shop.alice, NOW))["win_back"]
    again = by_kind(shop.service.offers_for(shop.alice, NOW + DAY))["win_back"]
    assert first.code == again.code and first.code.startswith("COMEBACK")
    assert 4 <= len(first.code) <= 16 and first.code.isalnum()  # the NLU's coupon_code shape
    assert first.ends_at == NOW + 30 * DAY
    assert "15% off" in first.sentence and first.code in first.sentence
    with shop.sessions() as s:
        row = s.scalars(select(CouponRow).where(CouponRow.code == first.code)).one()
        assert (row.customer_id, row.single_use, row.usage_limit, row.public) == (shop.alice, True, 1, False)

    # it works for Alice, is unknown to Bob and needs a verified shopper
    svc = shop.service
    mine = svc.quote_items([("TNT-1", 1)], [first.code], shop.alice, NOW)
    assert mine.applied_codes == (first.code,) and mine.applied[0].amount == Decimal("30.00")
    assert [r.reason for r in svc.quote_items([("TNT-1", 1)], [first.code], shop.bob, NOW).rejections] == [
        "unknown_code"
    ]
    assert [r.reason for r in svc.quote_items([("TNT-1", 1)], [first.code], None, NOW).rejections] == [
        "sign_in_required"
    ]


def test_win_back_needs_sixty_days_and_ignores_cancelled_orders(shop):
    placed(shop, shop.alice, days_ago=59)
    assert "win_back" not in by_kind(shop.service.offers_for(shop.alice, NOW))
    placed(shop, shop.bob, days_ago=70)
    placed(shop, shop.bob, days_ago=5, status="cancelled")
    assert "win_back" in by_kind(shop.service.offers_for(shop.bob, NOW))


def test_a_used_win_back_code_is_not_offered_again_for_the_same_lapse(shop):
    placed(shop, shop.alice, days_ago=90)
    code = by_kind(shop.service.offers_for(shop.alice, NOW))["win_back"].code
    order = placed(shop, shop.alice, days_ago=0, status="pending")
    assert shop.service.redeem(order, [code], shop.alice, NOW).ok
    assert "win_back" not in by_kind(shop.service.offers_for(shop.alice, NOW + DAY))


def test_loyalty_tiers_by_lifetime_spend(shop):
    placed(shop, shop.alice, days_ago=5, total="499.99")
    assert "loyalty" not in by_kind(shop.service.offers_for(shop.alice, NOW))
    placed(shop, shop.bob, days_ago=5, total="650.00")
    bronze = by_kind(shop.service.offers_for(shop.bob, NOW))["loyalty"]
    assert bronze.code.startswith("LOYAL5") and bronze.title == "Loyalty 5%"
    assert "spending over $500.00" in bronze.sentence and "5% off" in bronze.sentence
    placed(shop, shop.carol, days_ago=5, total="1500.00")
    gold = by_kind(shop.service.offers_for(shop.carol, NOW))["loyalty"]
    assert gold.code.startswith("LOYAL10") and gold.ends_at == NOW + 90 * DAY
    assert by_kind(shop.service.offers_for(shop.carol, NOW + DAY))["loyalty"].code == gold.code
    q = shop.service.quote_items([("TNT-1", 1)], [gold.code], shop.carol, NOW)
    assert q.applied_codes == (gold.code,) and q.applied[0].amount == Decimal("20.00")


def test_loyalty_code_is_renewed_after_it_expires(shop):
    placed(shop, shop.alice, days_ago=5, total="800.00")
    first = by_kind(shop.service.offers_for(shop.alice, NOW))["loyalty"].code
    later = NOW + 91 * DAY
    renewed = by_kind(shop.service.offers_for(shop.alice, later))["loyalty"]
    assert renewed.code != first and renewed.ends_at == later + 90 * DAY
    assert by_kind(shop.service.offers_for(shop.alice, later))["loyalty"].code == renewed.code


def test_offer_settings_can_switch_offers_off(shop):
    placed(shop, shop.alice, days_ago=100, total="2000.00")
    quiet = PricingService(
        shop.sessions, SETTINGS, OfferSettings(welcome_code=None, win_back_after_days=365, loyalty_tiers=())
    )
    assert quiet.offers_for(shop.alice, NOW) == []


def test_offer_settings_from_env(monkeypatch):
    monkeypatch.setenv("SHOP_LOYALTY_TIERS", "1000:7, 200:3")
    monkeypatch.setenv("SHOP_WELCOME_CODE", "off")
    monkeypatch.setenv("SHOP_WINBACK_AFTER_DAYS", "90")
    cfg = OfferSettings.from_env()
    assert [(int(t.min_spend), int(t.percent)) for t in cfg.loyalty_tiers] == [(200, 3), (1000, 7)]
    assert cfg.welcome_code is None and cfg.win_back_after_days == 90


def test_two_conversations_asking_at_once_get_the_same_code(pg_shop):
    shop = pg_shop
    placed(shop, shop.alice, days_ago=80, total="900.00")
    results: list[dict[str, str]] = []
    barrier = threading.Barrier(6)

    def ask() -> None:
        barrier.wait()
        offers = PricingService(shop.sessions, SETTINGS).offers_for(shop.alice, NOW)
        results.append({o.kind: o.code for o in offers if o.personal})

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 6 and all(r == results[0] for r in results)
    with shop.sessions() as s:
        assert len(s.scalars(select(CouponRow).where(CouponRow.customer_id == shop.alice)).all()) == 2
