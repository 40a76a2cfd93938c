"""May this code be used? The coupon checks, in the order of ``rejections.CHECK_ORDER``.

The first failing check wins, so a shopper hears the most fundamental problem first
("expired" before "spend $12.30 more"). :func:`check_terms` is the part that needs no
cart (the deals list and a code's terms use it); :func:`validate_codes` runs every check
for the codes typed, as step 3 of :func:`shop.pricing.engine.quote`. ``not_combinable`` is
decided later, across the codes that pass.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Iterable, Optional

from shop.clock import naive_utc
from shop.money import DEFAULT_CURRENCY, quantize
from shop.pricing.codes import display_code, normalize_code
from shop.pricing.model import CartView, Coupon, CustomerView, Offers, Rejection
from shop.pricing.rejections import Reason, reject

__all__ = ["check_terms", "validate_codes"]


def _visible_to(c: Coupon, customer: Optional[CustomerView]) -> bool:
    return c.owner_id is None or customer is None or customer.id == c.owner_id


def check_terms(
    c: Coupon, customer: Optional[CustomerView], now: datetime, currency: str = DEFAULT_CURRENCY
) -> Optional[Rejection]:
    """The cart-independent checks (``unknown_code`` for someone else's personal code, then
    ``inactive`` .. ``first_order_only``): could this shopper use ``c`` at all right now?"""
    if not _visible_to(c, customer):
        return reject(c.code, Reason.UNKNOWN_CODE, currency)
    return _check_terms(c, customer, naive_utc(now), currency)


def _check_terms(c: Coupon, customer: Optional[CustomerView], now: datetime, cur: str) -> Optional[Rejection]:
    code = c.code
    if not c.active:
        return reject(code, Reason.INACTIVE, cur)
    if c.starts_at is not None and now < c.starts_at:
        return reject(code, Reason.NOT_STARTED, cur, starts_at=c.starts_at)
    if c.expires_at is not None and now >= c.expires_at:
        return reject(code, Reason.EXPIRED, cur, expired_at=c.expires_at)
    limit = c.effective_usage_limit
    if limit is not None and c.usage_count >= limit:
        return reject(code, Reason.LIMIT_REACHED, cur, limit=limit)
    if customer is not None and c.per_customer_limit is not None:
        if customer.coupon_uses.get(c.id, 0) >= c.per_customer_limit:
            return reject(code, Reason.ALREADY_USED_BY_CUSTOMER, cur, limit=c.per_customer_limit)
    if c.needs_customer and customer is None:
        return reject(code, Reason.SIGN_IN_REQUIRED, cur)
    if c.first_order_only and customer is not None and customer.order_count > 0:
        return reject(code, Reason.FIRST_ORDER_ONLY, cur)
    return None


def _check_cart(
    c: Coupon, cart: CartView, customer: Optional[CustomerView], now: datetime, merchandise: Decimal
) -> Optional[Rejection]:
    """Every check for one code against this cart (``merchandise``: after promotions)."""
    cur = cart.currency
    code = c.code
    refusal = _check_terms(c, customer, now, cur)
    if refusal is not None:
        return refusal
    if c.min_subtotal is not None:
        need = quantize(c.min_subtotal, cur)
        if merchandise < need:
            return reject(
                code,
                Reason.MIN_SUBTOTAL_NOT_MET,
                cur,
                min_subtotal=need,
                subtotal=merchandise,
                missing=need - merchandise,
            )
    if c.min_quantity is not None and cart.quantity < c.min_quantity:
        return reject(
            code,
            Reason.MIN_QUANTITY_NOT_MET,
            cur,
            min_quantity=c.min_quantity,
            quantity=cart.quantity,
            missing=c.min_quantity - cart.quantity,
        )
    if not any(c.scope.matches(line) for line in cart.lines):
        return reject(code, Reason.NO_ELIGIBLE_ITEMS, cur, applies_to=c.scope.describe())
    return None


def validate_codes(
    cart: CartView,
    codes: Iterable[str],
    customer: Optional[CustomerView],
    now: datetime,
    offers: Offers,
    merchandise: Decimal,
) -> tuple[list[Coupon], list[Rejection]]:
    """The coupons that pass every check (sorted by code) and a rejection for each other code.

    Codes are normalised and de-duplicated; ``now`` is naive UTC.
    """
    cur = cart.currency
    seen: set[str] = set()
    valid: list[Coupon] = []
    rejections: list[Rejection] = []
    for raw in codes:
        canon = normalize_code(raw)
        shown = canon if canon is not None else display_code(raw)
        key = canon if canon is not None else "\x00" + shown
        if key in seen:
            continue
        seen.add(key)
        coupon = offers.coupons.get(canon) if canon is not None else None
        if coupon is not None and not _visible_to(coupon, customer):
            coupon = None  # someone else's personal code: as if it did not exist
        if coupon is None:
            rejections.append(reject(shown, Reason.UNKNOWN_CODE, cur))
            continue
        refusal = _check_cart(coupon, cart, customer, now, merchandise)
        if refusal is not None:
            rejections.append(refusal)
        else:
            valid.append(coupon)
    valid.sort(key=lambda c: c.code)
    return valid, rejections
