"""Quotes from the database: load the offers a quote needs, then call the pure engine.

The engine (:func:`shop.pricing.engine.quote`) reads only its arguments; this module is
the one place that fetches those arguments (promotions, the coupons named, the customer)
in the caller's session. Nothing here writes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.clock import naive_utc
from shop.db.pricing_models import CouponRow, PromotionRow
from shop.pricing.codes import normalize_code
from shop.pricing.customers import customer_view
from shop.pricing.engine import quote
from shop.pricing.model import CartView, Coupon, Offers, PricingSettings, Promotion, Quote
from shop.pricing.rows import coupon_from_row, promotion_from_row

__all__ = ["live_promotions", "load_offers", "quote_in"]


def load_offers(s: Session, codes: Iterable[str] = ()) -> Offers:
    """Active promotions, and the coupons named by ``codes`` (whatever their state).

    A code's state (expired, used up) is the engine's to judge, so that it can say why.
    """
    promotions = tuple(
        promotion_from_row(r)
        for r in s.scalars(select(PromotionRow).where(PromotionRow.active).order_by(PromotionRow.id))
    )
    canon = sorted({c for c in (normalize_code(x) for x in codes) if c is not None})
    coupons: dict[str, Coupon] = {}
    if canon:
        for row in s.scalars(select(CouponRow).where(CouponRow.code.in_(canon))):
            coupons[row.code] = coupon_from_row(row)
    return Offers(promotions=promotions, coupons=coupons)


def live_promotions(s: Session, now: datetime) -> list[Promotion]:
    """Public promotions running at ``now``, highest priority first."""
    now = naive_utc(now)
    rows = s.scalars(select(PromotionRow).where(PromotionRow.active, PromotionRow.public)).all()
    promos = [promotion_from_row(r) for r in rows]
    return sorted((p for p in promos if p.live(now)), key=lambda p: (-p.priority, p.id))


def quote_in(
    s: Session,
    cart: CartView,
    codes: Sequence[str],
    customer_id: Optional[int],
    now: datetime,
    settings: PricingSettings,
) -> Quote:
    """What ``cart`` costs with ``codes`` for this customer at ``now``; side-effect free."""
    offers = load_offers(s, codes)
    customer = customer_view(s, customer_id) if customer_id is not None else None
    return quote(cart, codes, customer, now, offers=offers, settings=settings)
