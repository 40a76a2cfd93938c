"""Redemption: the one place where a coupon's use is committed, and given back.

An order's items are re-quoted at the moment of redemption. Each coupon's counter moves
only through a conditional UPDATE (never past its limit, whoever races), the row lock it
takes serialises per-customer checks, and unique keys make a retry for the same order
return the existing redemption instead of a second one. A cancelled order's uses are
released, and the released rows stay as the order's history.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Optional, Sequence

from sqlalchemy import and_, func, not_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from shop.clock import naive_utc
from shop.db.models import Order, OrderItem, Product, ProductVariant
from shop.db.pricing_models import CouponRedemption, CouponRow
from shop.money import DEFAULT_CURRENCY
from shop.pricing.codes import normalize_code
from shop.pricing.customers import CLOSED_STATUSES, customer_view
from shop.pricing.engine import quote
from shop.pricing.errors import OrderNotFound, OrderNotRedeemable
from shop.pricing.model import AppliedCoupon, CartView, Coupon, PricingSettings, Quote, Rejection
from shop.pricing.quoting import load_offers
from shop.pricing.rejections import Reason, reject
from shop.pricing.rows import cart_line, category_parents

__all__ = ["RedeemResult", "RedemptionRecord", "redeem", "redeem_in", "redemptions_in", "release_uses"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RedemptionRecord:
    """One use of a coupon by an order, with a copy of the terms it was taken under."""

    coupon_id: int
    code: str
    order_id: int
    customer_id: Optional[int]
    amount: Decimal
    currency: str
    redeemed_at: datetime
    released_at: Optional[datetime]
    terms: dict[str, Any]


@dataclass(frozen=True)
class RedeemResult:
    """``ok`` with the rows written (or found, on a retry), or the rejections and no writes."""

    ok: bool
    redemptions: tuple[RedemptionRecord, ...] = ()
    rejections: tuple[Rejection, ...] = ()
    quote: Optional[Quote] = None
    replayed: bool = False


class _Refused(Exception):
    """A check that failed after a write began: the transaction must roll back."""

    def __init__(self, rejection: Rejection) -> None:
        super().__init__(rejection.reason)
        self.rejection = rejection


def _refusal(order_id: int, refused: _Refused) -> RedeemResult:
    log.info("redemption refused", extra={"order_id": order_id, "reason": refused.rejection.reason})
    return RedeemResult(ok=False, rejections=(refused.rejection,))


def _record(row: CouponRedemption) -> RedemptionRecord:
    return RedemptionRecord(
        coupon_id=row.coupon_id,
        code=row.code,
        order_id=row.order_id,
        customer_id=row.customer_id,
        amount=row.amount,
        currency=row.currency,
        redeemed_at=row.redeemed_at,
        released_at=row.released_at,
        terms=dict(row.terms_json),
    )


def _wanted(codes: Sequence[str]) -> list[str]:
    return sorted({c for c in (normalize_code(x) for x in codes) if c is not None})


def redemptions_in(s: Session, order_id: int) -> list[RedemptionRecord]:
    """Every use (released or not) an order made, oldest first."""
    rows = s.scalars(
        select(CouponRedemption).where(CouponRedemption.order_id == order_id).order_by(CouponRedemption.id)
    )
    return [_record(r) for r in rows]


def redeem(
    sessions: sessionmaker,
    order_id: int,
    codes: Sequence[str],
    customer_id: Optional[int],
    now: datetime,
    settings: PricingSettings,
) -> RedeemResult:
    """Record the use of ``codes`` by an order, all or nothing, in its own transaction."""
    now = naive_utc(now)
    wanted = _wanted(codes)
    try:
        with sessions.begin() as s:
            return _redeem(s, order_id, codes, wanted, customer_id, now, settings)
    except _Refused as refused:
        return _refusal(order_id, refused)
    except IntegrityError:
        # A concurrent retry for this order won, or a per-customer race was lost.
        with sessions() as s:
            replay = _replay(s, order_id, wanted)
        if replay is not None:
            return replay
        code = wanted[0] if wanted else ""
        return RedeemResult(ok=False, rejections=(reject(code, Reason.ALREADY_USED_BY_CUSTOMER, limit=1),))


def redeem_in(
    s: Session,
    order_id: int,
    codes: Sequence[str],
    customer_id: Optional[int],
    now: datetime,
    settings: PricingSettings,
) -> RedeemResult:
    """:func:`redeem` inside the caller's transaction, so an order and its redemption commit
    together (``shop.checkout``).

    On ``ok=False`` the session may hold a half-taken use: the caller must roll the whole
    transaction back. An ``IntegrityError`` (a lost race) propagates for the same reason.
    """
    now = naive_utc(now)
    try:
        return _redeem(s, order_id, codes, _wanted(codes), customer_id, now, settings)
    except _Refused as refused:
        return _refusal(order_id, refused)


def _replay(s: Session, order_id: int, wanted: list[str]) -> Optional[RedeemResult]:
    """The result of an earlier redemption for this order with the same codes, if any."""
    existing = redemptions_in(s, order_id)
    if not existing:
        return None
    if sorted(r.code for r in existing) != wanted:
        raise OrderNotRedeemable(
            f"order {order_id} already redeemed {', '.join(sorted(r.code for r in existing))}"
        )
    return RedeemResult(ok=True, redemptions=tuple(existing), replayed=True)


def _order_cart(s: Session, order: Order) -> CartView:
    """The order's items as a cart, at the prices the order paid."""
    rows = s.execute(
        select(OrderItem, Product, ProductVariant)
        .join(Product, Product.id == OrderItem.product_id)
        .outerjoin(ProductVariant, ProductVariant.id == OrderItem.variant_id)
        .where(OrderItem.order_id == order.id)
        .order_by(OrderItem.id)
    ).all()
    parents = category_parents(s)
    currency = order.currency or DEFAULT_CURRENCY
    return CartView(
        currency=currency,
        lines=tuple(
            cart_line(product, variant, item.quantity, currency, parents, unit_price=item.unit_price)
            for item, product, variant in rows
        ),
    )


def _redeem(
    s: Session,
    order_id: int,
    codes: Sequence[str],
    wanted: list[str],
    customer_id: Optional[int],
    now: datetime,
    settings: PricingSettings,
) -> RedeemResult:
    order = s.get(Order, order_id)
    if order is None:
        raise OrderNotFound(f"no order {order_id}")
    if order.status in CLOSED_STATUSES:
        raise OrderNotRedeemable(f"order {order_id} is {order.status}")
    if customer_id is not None and order.customer_id != customer_id:
        raise OrderNotRedeemable(f"order {order_id} belongs to another customer")
    replay = _replay(s, order_id, wanted)
    if replay is not None:
        return replay
    cart = _order_cart(s, order)
    customer = customer_view(s, customer_id, exclude_order_id=order_id) if customer_id is not None else None
    q = quote(cart, codes, customer, now, offers=load_offers(s, codes), settings=settings)
    if q.rejections:
        return RedeemResult(ok=False, rejections=q.rejections, quote=q)
    written: list[CouponRedemption] = []
    for applied in q.applied:
        c = applied.coupon
        _take_use(s, c, cart.currency)
        _check_customer_limit(s, c, customer_id, cart.currency)
        row = _redemption_row(applied, q, order_id, customer_id, now)
        s.add(row)
        written.append(row)
    s.flush()
    return RedeemResult(ok=True, redemptions=tuple(_record(r) for r in written), quote=q)


def _check_customer_limit(s: Session, c: Coupon, customer_id: Optional[int], currency: str) -> None:
    """Re-count under the coupon's row lock (taken by :func:`_take_use`) so a race cannot pass."""
    if c.per_customer_limit is None or customer_id is None:
        return
    used = s.scalar(
        select(func.count(CouponRedemption.id)).where(
            CouponRedemption.coupon_id == c.id,
            CouponRedemption.customer_id == customer_id,
            CouponRedemption.released_at.is_(None),
        )
    )
    if (used or 0) >= c.per_customer_limit:
        raise _Refused(reject(c.code, Reason.ALREADY_USED_BY_CUSTOMER, currency, limit=c.per_customer_limit))


def _redemption_row(
    applied: AppliedCoupon, q: Quote, order_id: int, customer_id: Optional[int], now: datetime
) -> CouponRedemption:
    c = applied.coupon
    return CouponRedemption(
        coupon_id=c.id,
        customer_id=customer_id,
        customer_slot=customer_id if c.per_customer_limit == 1 else None,
        order_id=order_id,
        code=c.code,
        amount=applied.amount,
        currency=q.currency,
        redeemed_at=now,
        terms_json={
            "terms": c.terms(),
            "amount": str(applied.amount),
            "currency": q.currency,
            "description": applied.description,
            "quote": {
                "subtotal": str(q.subtotal),
                "discount_total": str(q.discount_total),
                "shipping_total": str(q.shipping_total),
                "tax": str(q.tax),
                "total": str(q.total),
            },
        },
    )


def _take_use(s: Session, c: Coupon, currency: str) -> None:
    """Increment the counter only while under its limit; the loser of a race gets 0 rows."""
    result = s.execute(
        update(CouponRow)
        .where(
            CouponRow.id == c.id,
            CouponRow.active,
            or_(CouponRow.usage_limit.is_(None), CouponRow.usage_count < CouponRow.usage_limit),
            or_(not_(CouponRow.single_use), CouponRow.usage_count < 1),
        )
        .values(usage_count=CouponRow.usage_count + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise _Refused(reject(c.code, Reason.LIMIT_REACHED, currency, limit=c.effective_usage_limit))


def release_uses(s: Session, order_id: int, now: datetime) -> int:
    """Give back the uses of a cancelled order inside the caller's transaction
    (``OrderService.cancel``); returns how many were released.

    Idempotent: released rows stay (with ``released_at``) as the order's history.
    """
    now = naive_utc(now)
    rows = s.scalars(
        select(CouponRedemption)
        .where(CouponRedemption.order_id == order_id, CouponRedemption.released_at.is_(None))
        .with_for_update()
    ).all()
    for row in rows:
        row.released_at = now
        row.customer_slot = None
        s.execute(
            update(CouponRow)
            .where(and_(CouponRow.id == row.coupon_id, CouponRow.usage_count > 0))
            .values(usage_count=CouponRow.usage_count - 1)
            .execution_options(synchronize_session=False)
        )
    return len(rows)
