"""Pricing rows (SQLAlchemy) -> the pure pricing model the engine reads.

Promotions, coupons and priced cart lines, for every module that loads them (carts,
quoting, redemption, offers), so none of those imports another to read a row.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.db.models import Category, Product, ProductVariant
from shop.db.pricing_models import CouponRow, PromotionRow
from shop.money import quantize
from shop.pricing.model import CartLine, Coupon, CouponKind, Promotion, PromotionKind, Scope

__all__ = ["cart_line", "category_parents", "coupon_from_row", "promotion_from_row"]

#: How far up the category tree a scope looks (a guard against a cycle in the data).
MAX_CATEGORY_DEPTH = 10


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


def category_parents(s: Session) -> dict[str, Optional[str]]:
    """Category name -> its parent's name, so a scope on "Outdoor" matches "Tents"."""
    rows = s.execute(select(Category.id, Category.name, Category.parent_id)).all()
    names = {cid: name for cid, name, _ in rows}
    return {name: names.get(parent) if parent else None for _, name, parent in rows}


def ancestors(category: str, parents: dict[str, Optional[str]]) -> tuple[str, ...]:
    """The parent categories of ``category``, nearest first."""
    out: list[str] = []
    current = parents.get(category)
    while current is not None and current not in out and len(out) < MAX_CATEGORY_DEPTH:
        out.append(current)
        current = parents.get(current)
    return tuple(out)


def cart_line(
    product: Product,
    variant: Optional[ProductVariant],
    quantity: int,
    currency: str,
    parents: dict[str, Optional[str]],
    unit_price: Optional[Decimal] = None,
) -> CartLine:
    """A priced cart line for a product and the variant picked, if any.

    ``unit_price`` is what an order paid; without it, today's catalog price.
    """
    return CartLine(
        product_id=product.id,
        sku=variant.sku if variant is not None else product.sku,
        name=product.name,
        category=product.category,
        unit_price=quantize(product.price if unit_price is None else unit_price, currency),
        quantity=quantity,
        variant_id=variant.id if variant is not None else None,
        ancestors=ancestors(product.category, parents),
    )
