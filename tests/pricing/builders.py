"""Small builders for the engine's dataclasses, so each test states only what matters."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Optional

from shop.pricing import (
    CartLine,
    CartView,
    Coupon,
    CouponKind,
    CustomerView,
    Offers,
    PricingSettings,
    Promotion,
    PromotionKind,
    Quote,
    Scope,
    quote,
)

NOW = datetime(2024, 6, 1, 12, 0, 0)
NO_SHIPPING = PricingSettings(shipping_fee=Decimal("0"), free_shipping_threshold=None)


def line(pid: int, price: str, qty: int = 1, category: str = "Tents", **kw: Any) -> CartLine:
    return CartLine(
        product_id=pid,
        sku=kw.pop("sku", f"SKU-{pid}"),
        name=kw.pop("name", f"Product {pid}"),
        category=category,
        unit_price=Decimal(price),
        quantity=qty,
        **kw,
    )


def cart(*lines: CartLine, currency: str = "USD") -> CartView:
    return CartView(currency=currency, lines=tuple(lines))


def scope(**kw: Any) -> Scope:
    return Scope(**{k: frozenset(v) for k, v in kw.items()})


def coupon(
    code: str, kind: str = "percentage", value: str = "10", id: Optional[int] = None, **kw: Any
) -> Coupon:
    return Coupon(
        id=id if id is not None else abs(hash(code)) % 100000,
        code=code,
        kind=CouponKind(kind),
        value=Decimal(value),
        **kw,
    )


def promo(id: int, kind: str, value: str = "0", name: Optional[str] = None, **kw: Any) -> Promotion:
    return Promotion(id=id, name=name or f"Promo {id}", kind=PromotionKind(kind), value=Decimal(value), **kw)


def offers(*items: Any) -> Offers:
    return Offers(
        promotions=tuple(i for i in items if isinstance(i, Promotion)),
        coupons={i.code: i for i in items if isinstance(i, Coupon)},
    )


def customer(id: int = 1, orders: int = 1, uses: Optional[dict[int, int]] = None) -> CustomerView:
    return CustomerView(id=id, order_count=orders, lifetime_spend=Decimal("100"), coupon_uses=uses or {})


def price(
    c: CartView,
    codes: list[str],
    *items: Any,
    who: Optional[CustomerView] = None,
    now: datetime = NOW,
    settings: PricingSettings = NO_SHIPPING,
) -> Quote:
    return quote(c, codes, who, now, offers=offers(*items), settings=settings)
