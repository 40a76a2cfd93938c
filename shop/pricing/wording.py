"""How an offer is put in words: ``10% off Outdoor``, ``$5.00 off when you spend $50.00``.

The engine labels each discount with these, and the deals list and a code's terms reuse
them, so a shopper reads the same description in the cart, in ``ask_discounts`` and at
checkout. Amounts are :func:`shop.money.format_money`; dates are :mod:`shop.clock`'s.
"""

from __future__ import annotations

from decimal import Decimal

from shop.money import MoneyInput, format_money, to_decimal
from shop.pricing.allocation import clamp_percent
from shop.pricing.model import Coupon, CouponKind, Promotion, PromotionKind

__all__ = ["describe_coupon", "describe_promotion", "format_percent"]


def format_percent(percent: MoneyInput) -> str:
    """``10`` -> ``10%``, ``12.5`` -> ``12.5%`` (no trailing zeros, no rounding)."""
    p = to_decimal(percent)
    text = format(p.normalize(), "f") if p != p.to_integral_value() else str(int(p))
    return f"{text}%"


def describe_promotion(p: Promotion, currency: str) -> str:
    """What an automatic promotion takes off, in a few words."""
    scope = p.scope.describe()
    if p.kind is PromotionKind.PERCENTAGE:
        return f"{format_percent(clamp_percent(p.value))} off {scope}"
    if p.kind is PromotionKind.BUY_X_GET_Y:
        return f"buy {p.buy_quantity} get {p.get_quantity} free on {scope}"
    if p.kind is PromotionKind.FIXED:
        return f"{format_money(p.value, currency)} off {scope}"
    if p.kind is PromotionKind.SPEND_THRESHOLD:
        threshold = format_money(p.min_subtotal or Decimal(0), currency)
        text = f"{format_money(p.value, currency)} off when you spend {threshold}"
        return text if scope == "everything" else f"{text} on {scope}"
    return "free shipping"


def describe_coupon(c: Coupon, currency: str) -> str:
    """What a coupon takes off, in a few words (its conditions are the sentence's job)."""
    if c.kind is CouponKind.PERCENTAGE:
        return f"{format_percent(clamp_percent(c.value))} off {c.scope.describe()}"
    if c.kind is CouponKind.FIXED:
        return f"{format_money(c.value, currency)} off {c.scope.describe()}"
    return "free shipping"
