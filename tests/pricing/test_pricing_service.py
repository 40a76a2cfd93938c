"""PricingService on both backends: carts, quotes from the DB, redeem and release."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from shop.db.pricing_models import CouponRedemption, CouponRow
from shop.pricing.seed import seed_pricing
from shop.pricing.service import (
    CartNotFound,
    InvalidQuantity,
    OrderNotRedeemable,
    UnknownProduct,
)
from tests.pricing.conftest import NOW


def usage(shop, code):
    with shop.sessions() as s:
        return s.scalar(select(CouponRow.usage_count).where(CouponRow.code == code))


def rows(shop):
    with shop.sessions() as s:
        return s.scalars(select(CouponRedemption).order_by(CouponRedemption.id)).all()


# carts ----------------------------------------------------------------------------------


def test_cart_per_conversation_is_claimed_by_the_verified_customer(shop):
    svc = shop.service
    anon = svc.get_or_create_cart(sender_id="conv-1")
    assert svc.get_or_create_cart(sender_id="conv-1") == anon
    svc.add_item(anon, shop.tent)
    mine = svc.get_or_create_cart(customer_id=shop.alice, sender_id="conv-1")
    assert mine == anon
    assert svc.get_or_create_cart(customer_id=shop.alice) == anon
    assert [ln.sku for ln in svc.cart_view(mine).lines] == ["TNT-1"]
    other = svc.get_or_create_cart(customer_id=shop.bob, sender_id="conv-2")
    assert other != anon
    with pytest.raises(ValueError):
        svc.get_or_create_cart()


def test_add_set_remove_items(shop):
    svc = shop.service
    cart = svc.get_or_create_cart(sender_id="conv-3")
    svc.add_item(cart, shop.socks, 2)
    svc.add_item(cart, shop.socks, 1)
    view = svc.add_item(cart, shop.socks, 1, variant_id=shop.socks_m)
    assert [(ln.sku, ln.quantity) for ln in view.lines] == [("SCK-1", 3), ("SCK-1-M", 1)]
    view = svc.set_quantity(cart, shop.socks, 5)
    assert [(ln.sku, ln.quantity) for ln in view.lines] == [("SCK-1", 5), ("SCK-1-M", 1)]
    view = svc.remove_item(cart, shop.socks)
    assert [(ln.sku, ln.quantity) for ln in view.lines] == [("SCK-1-M", 1)]
    assert svc.remove_item(cart, shop.socks).lines == view.lines  # removing twice is fine
    svc.clear_cart(cart)
    assert svc.cart_view(cart).lines == ()


@pytest.mark.parametrize("qty", [0, -1, -100, 101, 1.5, True, "2", None])
def test_bad_quantities_are_refused_with_a_clear_error(shop, qty):
    svc = shop.service
    cart = svc.get_or_create_cart(sender_id="conv-4")
    with pytest.raises(InvalidQuantity, match="quantity must be"):
        svc.add_item(cart, shop.tent, qty)
    with pytest.raises(InvalidQuantity, match="quantity must be"):
        svc.set_quantity(cart, shop.tent, qty)
    assert svc.cart_view(cart).lines == ()


def test_adding_past_the_line_maximum_is_refused(shop):
    cart = shop.service.get_or_create_cart(sender_id="conv-5")
    shop.service.add_item(cart, shop.socks, 60)
    with pytest.raises(InvalidQuantity, match="at most 100"):
        shop.service.add_item(cart, shop.socks, 60)
    assert shop.service.cart_view(cart).lines[0].quantity == 60


def test_unknown_products_variants_and_carts(shop):
    svc = shop.service
    cart = svc.get_or_create_cart(sender_id="conv-6")
    with pytest.raises(UnknownProduct):
        svc.add_item(cart, 999_999)
    with pytest.raises(UnknownProduct):
        svc.add_item(cart, shop.tent, variant_id=shop.socks_m)  # a sock size is not a tent
    with pytest.raises(CartNotFound):
        svc.add_item(999_999, shop.tent)


def test_quote_cart_uses_parent_categories_and_seeded_offers(shop):
    seed_pricing(shop.sessions, NOW)
    svc = shop.service
    cart = svc.get_or_create_cart(customer_id=shop.alice)
    svc.add_item(cart, shop.tent)
    svc.add_item(cart, shop.mug)
    q = svc.quote_cart(cart, ["outdoor20"], shop.alice, NOW)
    # Camp week 15% on Tents: 200 -> 170; with the mug 190 >= 150, so $15 off, allocated
    # 13.42 / 1.58; OUTDOOR20 (Tents are Outdoor) on the tent's 156.58 -> 31.32.
    assert q.explain() == [
        "Camp week: -$30.00, 15% off Tents",
        "Spend $150, save $15: -$15.00, $15.00 off when you spend $150.00",
        "OUTDOOR20: -$31.32, 20% off Outdoor",
        "Free shipping: -$5.99, free shipping on orders over $75.00",
    ]
    assert [ln.total for ln in q.lines] == [Decimal("125.26"), Decimal("18.42")]
    assert q.total == Decimal("143.68")


def test_seed_is_idempotent_and_covers_every_failure(shop):
    first = seed_pricing(shop.sessions, NOW)
    assert first["coupons"] >= 7 and first["promotions"] >= 3
    assert seed_pricing(shop.sessions, NOW) == {"coupons": 0, "promotions": 0}
    cart = shop.service.get_or_create_cart(sender_id="seed")
    shop.service.add_item(cart, shop.socks)
    codes = ["SAVE10", "WELCOME15", "SUMMER25", "LAUNCH50", "HOLIDAY30", "STAFF40", "NOSUCH"]
    q = shop.service.quote_cart(cart, codes, None, NOW)
    assert {r.code: r.reason for r in q.rejections} == {
        "SAVE10": "min_subtotal_not_met",
        "WELCOME15": "sign_in_required",
        "SUMMER25": "expired",
        "LAUNCH50": "limit_reached",
        "HOLIDAY30": "not_started",
        "STAFF40": "inactive",
        "NOSUCH": "unknown_code",
    }


def test_coupon_codes_are_stored_canonical(shop):
    cid = shop.coupon(" save 5 ")
    with shop.sessions() as s:
        assert s.get(CouponRow, cid).code == "SAVE5"
    with pytest.raises(ValueError):
        shop.coupon("SАVE5")  # Cyrillic A


# redemption -----------------------------------------------------------------------------


def test_redeem_counts_a_use_and_keeps_a_copy_of_the_terms(shop):
    shop.coupon("SAVE10", min_subtotal=Decimal("50"))
    order = shop.order(shop.alice, [(shop.tent, 1)])
    result = shop.service.redeem(order, ["save10"], shop.alice, NOW)
    assert result.ok and not result.replayed
    [red] = result.redemptions
    assert (red.code, red.amount, red.order_id) == ("SAVE10", Decimal("20.00"), order)
    assert usage(shop, "SAVE10") == 1
    # a later edit of the coupon never changes what this order got
    with shop.sessions.begin() as s:
        s.scalars(select(CouponRow).where(CouponRow.code == "SAVE10")).one().value = Decimal("50")
    [stored] = shop.service.redemptions(order)
    assert stored.terms["terms"]["value"] == "10.00"
    assert stored.terms["amount"] == "20.00" and stored.terms["description"] == "10% off everything"


def test_redeem_retry_returns_the_existing_redemption(shop):
    shop.coupon("SAVE10")
    order = shop.order(shop.alice, [(shop.tent, 1)])
    first = shop.service.redeem(order, ["SAVE10"], shop.alice, NOW)
    again = shop.service.redeem(order, [" save10 "], shop.alice, NOW + timedelta(minutes=1))
    assert again.ok and again.replayed
    assert again.redemptions == first.redemptions
    assert usage(shop, "SAVE10") == 1 and len(rows(shop)) == 1
    with pytest.raises(OrderNotRedeemable, match="already redeemed SAVE10"):
        shop.service.redeem(order, ["OTHER"], shop.alice, NOW)


def test_redeem_revalidates_and_is_all_or_nothing(shop):
    shop.coupon("FREESHIP", kind="free_shipping", stackable=True)
    shop.coupon("BIGSPEND", kind="fixed", value=Decimal("10"), stackable=True, min_subtotal=Decimal("500"))
    order = shop.order(shop.alice, [(shop.socks, 2)])
    result = shop.service.redeem(order, ["FREESHIP", "BIGSPEND"], shop.alice, NOW)
    assert not result.ok
    assert [(r.code, r.reason, r.params["missing"]) for r in result.rejections] == [
        ("BIGSPEND", "min_subtotal_not_met", "482.00")
    ]
    assert usage(shop, "FREESHIP") == 0 and rows(shop) == []


def test_used_up_and_single_use_codes(shop):
    shop.coupon("LAST", usage_limit=1)
    shop.coupon("GIFT-1", kind="fixed", value=Decimal("20"), single_use=True)
    a = shop.order(shop.alice, [(shop.tent, 1)])
    b = shop.order(shop.bob, [(shop.tent, 1)])
    assert shop.service.redeem(a, ["LAST"], shop.alice, NOW).ok
    lost = shop.service.redeem(b, ["LAST"], shop.bob, NOW)
    assert [r.reason for r in lost.rejections] == ["limit_reached"]
    with pytest.raises(OrderNotRedeemable):  # order a already took LAST
        shop.service.redeem(a, ["GIFT-1"], shop.alice, NOW)
    c = shop.order(shop.carol, [(shop.tent, 1)])
    d = shop.order(shop.bob, [(shop.tent, 1)])
    assert shop.service.redeem(c, ["GIFT-1"], shop.carol, NOW).ok
    assert [r.reason for r in shop.service.redeem(d, ["GIFT-1"], shop.bob, NOW).rejections] == [
        "limit_reached"
    ]


def test_per_customer_limit_and_release_gives_the_use_back(shop):
    shop.coupon("ONCEEACH", per_customer_limit=1, usage_limit=10)
    first = shop.order(shop.alice, [(shop.tent, 1)])
    second = shop.order(shop.alice, [(shop.tent, 1)])
    assert shop.service.redeem(first, ["ONCEEACH"], shop.alice, NOW).ok
    refused = shop.service.redeem(second, ["ONCEEACH"], shop.alice, NOW)
    assert [(r.reason, r.params["limit"]) for r in refused.rejections] == [("already_used_by_customer", 1)]
    assert usage(shop, "ONCEEACH") == 1

    assert shop.service.release(first, NOW + timedelta(hours=1)) == 1
    assert shop.service.release(first, NOW + timedelta(hours=2)) == 0  # idempotent
    assert usage(shop, "ONCEEACH") == 0
    [released] = shop.service.redemptions(first)
    assert released.released_at == NOW + timedelta(hours=1)
    assert shop.service.redeem(second, ["ONCEEACH"], shop.alice, NOW).ok


def test_first_order_only_counts_other_orders_not_this_one(shop):
    shop.coupon("WELCOME15", value=Decimal("15"), first_order_only=True, per_customer_limit=1)
    first = shop.order(shop.bob, [(shop.tent, 1)])
    assert shop.service.redeem(first, ["WELCOME15"], shop.bob, NOW).ok
    second = shop.order(shop.carol, [(shop.mug, 1)])
    shop.order(shop.carol, [(shop.mug, 1)])
    refused = shop.service.redeem(second, ["WELCOME15"], shop.carol, NOW)
    assert [r.reason for r in refused.rejections] == ["first_order_only"]


def test_closed_or_foreign_orders_take_no_codes(shop):
    shop.coupon("SAVE10")
    cancelled = shop.order(shop.alice, [(shop.tent, 1)], status="cancelled")
    with pytest.raises(OrderNotRedeemable, match="cancelled"):
        shop.service.redeem(cancelled, ["SAVE10"], shop.alice, NOW)
    bobs = shop.order(shop.bob, [(shop.tent, 1)])
    with pytest.raises(OrderNotRedeemable, match="another customer"):
        shop.service.redeem(bobs, ["SAVE10"], shop.alice, NOW)
    assert usage(shop, "SAVE10") == 0


def test_seed_pricing_fits_the_demo_catalog(seeded_db):
    from shop.db.models import Product
    from shop.pricing.service import PricingService
    from tests.pricing.conftest import SETTINGS

    seed_pricing(seeded_db.sessions, NOW)
    svc = PricingService(seeded_db.sessions, SETTINGS)
    with seeded_db.sessions() as s:
        tent = s.scalars(select(Product).where(Product.category == "Tents").order_by(Product.id)).first()
    cart = svc.get_or_create_cart(sender_id="demo-seed")
    svc.add_item(cart, tent.id)
    q = svc.quote_cart(cart, ["OUTDOOR20"], None, NOW)
    assert q.applied_codes == ("OUTDOOR20",)
    labels = [x for x in q.explain() if x.startswith("OUTDOOR20: -$")]
    assert len(labels) == 1 and labels[0].endswith("20% off Outdoor")
