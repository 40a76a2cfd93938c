"""Pricing rows (SQLAlchemy) -> the pure pricing model, shared by the service and the offers.

Its own module so ``offers`` and ``service`` both import it and not each other.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shop.db.pricing_models import CouponRow, PromotionRow
from shop.pricing.model import Coupon, CouponKind, Promotion, PromotionKind, Scope

__all__ = ["coupon_from_row", "promotion_from_row"]


def _ints(values: Any) -> frozenset[int]:
    return frozenset(int(v) for v in (values or ()))


def _strs(values: Any) -> frozenset[str]:
    return frozenset(str(v) for v in (values or ()))


def promotion_from_row(row: PromotionRow) -> Promotion:
    """The pricing model of one ``promotions`` row."""
    return Promotion(
        id=row.id,
        name=row.name,
        kind=PromotionKind(row.kind),
        value=Decimal(row.value or 0),
        scope=Scope(include_products=_ints(row.product_ids), include_categories=_strs(row.categories)),
        buy_quantity=row.buy_quantity or 0,
        get_quantity=row.get_quantity or 0,
        min_subtotal=row.min_subtotal,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        active=bool(row.active),
        priority=row.priority or 0,
    )


def coupon_from_row(row: CouponRow) -> Coupon:
    """The pricing model of one ``coupons`` row."""
    return Coupon(
        id=row.id,
        code=row.code,
        kind=CouponKind(row.kind),
        value=Decimal(row.value or 0),
        scope=Scope(
            include_products=_ints(row.include_products),
            include_categories=_strs(row.include_categories),
            exclude_products=_ints(row.exclude_products),
            exclude_categories=_strs(row.exclude_categories),
        ),
        min_subtotal=row.min_subtotal,
        min_quantity=row.min_quantity,
        first_order_only=bool(row.first_order_only),
        requires_customer=bool(row.requires_customer),
        usage_limit=row.usage_limit,
        usage_count=row.usage_count or 0,
        per_customer_limit=row.per_customer_limit,
        single_use=bool(row.single_use),
        stackable=bool(row.stackable),
        starts_at=row.starts_at,
        expires_at=row.expires_at,
        active=bool(row.active),
        owner_id=row.customer_id,
        public=bool(row.public),
    )
