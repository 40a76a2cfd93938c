"""CheckoutService on SQLite and PostgreSQL: one transaction, idempotent, refusals write nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from shop.checkout import (
    CheckoutService,
    CodeRefused,
    EmptyCart,
    InvalidCheckout,
    KeyConflict,
    OutOfStock,
    ShippingAddress,
    SignInRequired,
)
from shop.config import Settings
from shop.db.checkout_models import CheckoutRequest
from shop.db.models import Order, OrderItem, OrderStatusChange, Product, ProductVariant
from shop.db.pricing_models import CartLineRow, CouponRedemption, CouponRow
from shop.orders import OrderService
from tests.pricing.conftest import NOW, MiniShop, build_shop

ADDRESS = ShippingAddress("Alice Example", "1 Main St", "Springfield", "12345", "us")


@pytest.fixture
def shop(db: Any) -> MiniShop:
    return build_shop(db.sessions)


@pytest.fixture
def checkout(shop: MiniShop) -> CheckoutService:
    return CheckoutService(shop.sessions, shop.service)


def fill_cart(shop: MiniShop, customer_id: int, *items: tuple[int, int, int | None]) -> int:
    cart_id = shop.service.get_or_create_cart(customer_id=customer_id, now=NOW)
    for product_id, qty, variant_id in items:
        shop.service.add_item(cart_id, product_id, qty, variant_id=variant_id, now=NOW)
    return cart_id


def counts(shop: MiniShop) -> dict[str, int]:
    with shop.sessions() as s:
        return {
            table.__tablename__: int(s.scalar(select(func.count()).select_from(table)) or 0)
            for table in (Order, OrderItem, OrderStatusChange, CouponRedemption, CheckoutRequest)
        }


def usage(shop: MiniShop, code: str) -> int:
    with shop.sessions() as s:
        return int(s.scalar(select(CouponRow.usage_count).where(CouponRow.code == code)) or 0)


def place(checkout: CheckoutService, customer_id: int, codes: list[str], key: str, **kw: Any) -> Any:
    return checkout.place_order(
        customer_id=customer_id, codes=codes, idempotency_key=key, address=ADDRESS, now=NOW, **kw
    )


def test_place_order_writes_order_items_audit_redemption_stock_and_clears_cart(
    shop: MiniShop, checkout: CheckoutService
) -> None:
    shop.coupon("SAVE10", min_subtotal=Decimal("50.00"), description="10% off orders of $50 or more")
    cart_id = fill_cart(shop, shop.alice, (shop.tent, 1, None), (shop.socks, 2, shop.socks_m))
    preview = checkout.preview(shop.alice, ["save10"], NOW)

    placed = place(checkout, shop.alice, ["save10"], "key-alice-0001")

    assert placed.created and len(placed.order_number) == 6 and placed.order_number.isdigit()
    assert placed.total == preview.total == Decimal("196.20")  # (200 + 18) - 10%, free shipping
    assert placed.discount_total == Decimal("27.79")  # 21.80 off items + 5.99 shipping waived
    assert placed.codes == ("SAVE10",)
    assert any(line.startswith("SAVE10: -$21.80") for line in placed.discount_lines)
    with shop.sessions() as s:
        order = s.scalars(select(Order).where(Order.order_number == placed.order_number)).one()
        assert (order.customer_id, order.status, order.shipping_country) == (shop.alice, "pending", "US")
        assert Decimal(str(order.total)) == Decimal("196.20")
        assert Decimal(str(order.discount_total)) == Decimal("27.79")
        assert Decimal(str(order.subtotal)) + Decimal(str(order.shipping_cost)) - Decimal(
            str(order.discount_total)
        ) == Decimal(str(order.total))
        items = s.scalars(select(OrderItem).where(OrderItem.order_id == order.id)).all()
        assert sorted((i.product_id, i.quantity) for i in items) == sorted([(shop.tent, 1), (shop.socks, 2)])
        audit = s.scalars(select(OrderStatusChange).where(OrderStatusChange.order_id == order.id)).all()
        assert [(a.from_status, a.to_status) for a in audit] == [(None, "pending")]
        redemption = s.scalars(select(CouponRedemption).where(CouponRedemption.order_id == order.id)).one()
        assert (redemption.code, redemption.amount) == ("SAVE10", Decimal("21.80"))
        assert s.get(Product, shop.tent).stock == 9
        assert s.get(ProductVariant, shop.socks_m).stock == 3
        assert s.scalar(select(func.count()).where(CartLineRow.cart_id == cart_id)) == 0
    assert usage(shop, "SAVE10") == 1


def test_same_idempotency_key_returns_the_first_order_and_writes_nothing(
    shop: MiniShop, checkout: CheckoutService
) -> None:
    shop.coupon("SAVE10", min_subtotal=Decimal("50.00"))
    fill_cart(shop, shop.alice, (shop.tent, 1, None))
    first = place(checkout, shop.alice, ["SAVE10"], "key-double-0001")
    before = counts(shop)
    # The shopper refilled the cart meanwhile: a replay still must not place anything.
    fill_cart(shop, shop.alice, (shop.mug, 1, None))
    again = place(checkout, shop.alice, ["SAVE10"], "key-double-0001")

    assert not again.created
    assert (again.order_number, again.total, again.discount_lines, again.codes) == (
        first.order_number,
        first.total,
        first.discount_lines,
        first.codes,
    )
    assert counts(shop) == before
    assert usage(shop, "SAVE10") == 1


def test_anonymous_checkout_is_refused(shop: MiniShop, checkout: CheckoutService) -> None:
    with pytest.raises(SignInRequired, match="sign in"):
        checkout.place_order(
            customer_id=None, codes=[], idempotency_key="key-anon-0001", address=ADDRESS, now=NOW
        )
    with pytest.raises(SignInRequired):
        checkout.preview(None, [], NOW)
    assert counts(shop)["orders"] == 0


def test_expired_code_is_refused_with_its_reason_and_nothing_is_written(
    shop: MiniShop, checkout: CheckoutService
) -> None:
    shop.coupon("OLD20", expires_at=NOW - timedelta(days=1))
    cart_id = fill_cart(shop, shop.alice, (shop.tent, 1, None))
    with pytest.raises(CodeRefused) as refused:
        place(checkout, shop.alice, ["OLD20"], "key-expired-01")
    assert [r.reason for r in refused.value.rejections] == ["expired"]
    assert "expired" in str(refused.value)
    assert set(counts(shop).values()) == {0}
    assert len(shop.service.cart_view(cart_id).lines) == 1
    with shop.sessions() as s:
        assert s.get(Product, shop.tent).stock == 10


def test_code_used_up_since_the_quote_refuses_the_checkout(shop: MiniShop, checkout: CheckoutService) -> None:
    shop.coupon("LAST1", usage_limit=1)
    fill_cart(shop, shop.alice, (shop.tent, 1, None))
    assert not checkout.preview(shop.alice, ["LAST1"], NOW).rejections
    fill_cart(shop, shop.bob, (shop.mug, 1, None))
    assert place(checkout, shop.bob, ["LAST1"], "key-bob-last-1").created

    before = counts(shop)
    with pytest.raises(CodeRefused) as refused:
        place(checkout, shop.alice, ["LAST1"], "key-alice-last")
    assert [r.reason for r in refused.value.rejections] == ["limit_reached"]
    assert counts(shop) == before
    assert usage(shop, "LAST1") == 1


def test_cancel_releases_the_coupon_use_so_the_code_works_again(
    shop: MiniShop, checkout: CheckoutService
) -> None:
    shop.coupon("ONLYONE", usage_limit=1)
    fill_cart(shop, shop.alice, (shop.tent, 1, None))
    placed = place(checkout, shop.alice, ["ONLYONE"], "key-cancel-001")
    assert usage(shop, "ONLYONE") == 1
    fill_cart(shop, shop.bob, (shop.mug, 1, None))
    assert checkout.preview(shop.bob, ["ONLYONE"], NOW).rejections[0].reason == "limit_reached"

    result = OrderService(shop.sessions, Settings()).cancel(placed.order_number, shop.alice, now=NOW)

    assert result.outcome == "cancelled"
    assert usage(shop, "ONLYONE") == 0
    with shop.sessions() as s:
        row = s.scalars(select(CouponRedemption).where(CouponRedemption.order_id == placed.order_id)).one()
        assert row.released_at is not None
        assert s.get(Product, shop.tent).stock == 10  # restocked by the cancel
    assert place(checkout, shop.bob, ["ONLYONE"], "key-cancel-002").created
    assert usage(shop, "ONLYONE") == 1
    # A second cancel gives nothing back twice.
    OrderService(shop.sessions, Settings()).cancel(placed.order_number, shop.alice, now=NOW)
    assert usage(shop, "ONLYONE") == 1


def test_out_of_stock_refuses_and_writes_nothing(shop: MiniShop, checkout: CheckoutService) -> None:
    fill_cart(shop, shop.alice, (shop.socks, 6, shop.socks_m))  # 5 left
    with pytest.raises(OutOfStock, match="SCK-1-M"):
        place(checkout, shop.alice, [], "key-stock-0001")
    assert set(counts(shop).values()) == {0}
    with shop.sessions() as s:
        assert s.get(ProductVariant, shop.socks_m).stock == 5


def test_order_without_codes_has_no_redemption(shop: MiniShop, checkout: CheckoutService) -> None:
    fill_cart(shop, shop.alice, (shop.mug, 1, None))
    placed = place(checkout, shop.alice, ["", "  "], "key-nocode-001")
    assert placed.total == Decimal("25.99") and placed.codes == ()  # $20 + $5.99 shipping
    assert counts(shop)["coupon_redemptions"] == 0


def test_refusals_for_empty_cart_bad_key_bad_address_and_foreign_cart_or_key(
    shop: MiniShop, checkout: CheckoutService
) -> None:
    with pytest.raises(EmptyCart):
        place(checkout, shop.alice, [], "key-empty-0001")
    fill_cart(shop, shop.alice, (shop.mug, 1, None))
    with pytest.raises(InvalidCheckout):
        place(checkout, shop.alice, [], "short")
    with pytest.raises(InvalidCheckout, match="city"):
        checkout.place_order(
            customer_id=shop.alice,
            codes=[],
            idempotency_key="key-address-01",
            address=ShippingAddress("A", "1 Main St", "   ", "1"),
            now=NOW,
        )
    alices_cart = shop.service.get_or_create_cart(customer_id=shop.alice)
    with pytest.raises(InvalidCheckout, match="not yours"):
        place(checkout, shop.bob, [], "key-foreign-01", cart_id=alices_cart)
    assert place(checkout, shop.alice, [], "key-shared-001").created
    fill_cart(shop, shop.bob, (shop.mug, 1, None))
    with pytest.raises(KeyConflict):
        place(checkout, shop.bob, [], "key-shared-001")
    assert counts(shop)["orders"] == 1
