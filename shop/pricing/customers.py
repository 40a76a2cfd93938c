"""What pricing knows about a customer, read from the order history in the caller's session.

Coupon terms (``first_order_only``, per-customer limits) and personal offers (win-back,
loyalty) all ask the same questions: how many orders count, what they spent, which codes
they already used. "Counting" orders are those neither cancelled nor returned.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.db.models import Order
from shop.db.pricing_models import CouponRedemption
from shop.money import DEFAULT_CURRENCY, quantize
from shop.pricing.model import CustomerView

__all__ = ["CLOSED_STATUSES", "customer_view", "last_counting_order"]

#: Orders in these states neither count as "previous orders" nor take coupons.
CLOSED_STATUSES = ("cancelled", "returned")


def customer_view(s: Session, customer_id: int, *, exclude_order_id: Optional[int] = None) -> CustomerView:
    """Previous counting orders, lifetime spend and unreleased coupon uses of a customer.

    ``exclude_order_id`` leaves out the order being redeemed, so it does not count against
    its own ``first_order_only`` code.
    """
    orders = select(func.count(Order.id), func.coalesce(func.sum(Order.total), 0)).where(
        Order.customer_id == customer_id, Order.status.not_in(CLOSED_STATUSES)
    )
    uses = (
        select(CouponRedemption.coupon_id, func.count(CouponRedemption.id))
        .where(CouponRedemption.customer_id == customer_id, CouponRedemption.released_at.is_(None))
        .group_by(CouponRedemption.coupon_id)
    )
    if exclude_order_id is not None:
        orders = orders.where(Order.id != exclude_order_id)
        uses = uses.where(CouponRedemption.order_id != exclude_order_id)
    count, spend = s.execute(orders).one()
    return CustomerView(
        id=customer_id,
        order_count=int(count),
        lifetime_spend=quantize(Decimal(str(spend)), DEFAULT_CURRENCY),
        coupon_uses={int(cid): int(n) for cid, n in s.execute(uses)},
    )


def last_counting_order(s: Session, customer_id: int) -> Optional[tuple[int, datetime]]:
    """Id and time of the customer's newest counting order (the win-back offer's key)."""
    row = s.execute(
        select(Order.id, Order.created_at)
        .where(Order.customer_id == customer_id, Order.status.not_in(CLOSED_STATUSES))
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(1)
    ).first()
    return (int(row[0]), row[1]) if row is not None else None
