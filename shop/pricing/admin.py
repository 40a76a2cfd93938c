"""Creating coupons and promotions: what the seed, the tests and an operator's script call.

Codes are normalised by the ``coupons`` model itself; here only the rule that a single-use
code is a code with a usage limit of one is applied, so the counter enforces it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from shop.db.pricing_models import CouponRow, PromotionRow

__all__ = ["create_coupon", "create_promotion"]


def create_coupon(s: Session, **fields: Any) -> int:
    """Insert a coupon row in the caller's transaction; returns its id."""
    if fields.get("single_use"):
        fields["usage_limit"] = 1
    row = CouponRow(**fields)
    s.add(row)
    s.flush()
    return int(row.id)


def create_promotion(s: Session, **fields: Any) -> int:
    """Insert a promotion row in the caller's transaction; returns its id."""
    row = PromotionRow(**fields)
    s.add(row)
    s.flush()
    return int(row.id)
