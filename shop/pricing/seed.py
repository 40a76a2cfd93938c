"""Demo coupons and promotions: one of each kind and of each way a code can fail.

Plain function, idempotent (existing codes and promotion names are left alone); the demo
seed calls it after the catalog exists. Categories are the demo catalog's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from shop.clock import naive_utc
from shop.db.pricing_models import CouponRow, PromotionRow


def demo_coupons(now: datetime) -> list[dict[str, Any]]:
    """The demo codes: one of each kind and one for each way a code can fail."""
    day = timedelta(days=1)
    return [
        dict(
            code="SAVE10",
            public=True,
            kind="percentage",
            value=Decimal("10"),
            min_subtotal=Decimal("50.00"),
            description="10% off orders of $50 or more",
            expires_at=now + 180 * day,
        ),
        dict(
            code="WELCOME15",
            kind="percentage",
            value=Decimal("15"),
            first_order_only=True,
            per_customer_limit=1,
            description="15% off your first order",
        ),
        dict(
            code="FREESHIP",
            public=True,
            kind="free_shipping",
            stackable=True,
            min_subtotal=Decimal("25.00"),
            description="free shipping on orders of $25 or more",
        ),
        dict(
            code="OUTDOOR20",
            public=True,
            kind="percentage",
            value=Decimal("20"),
            include_categories=["Outdoor"],
            description="20% off Outdoor gear",
            expires_at=now + 60 * day,
        ),
        dict(
            code="TAKE5",
            public=True,
            kind="fixed",
            value=Decimal("5.00"),
            stackable=True,
            min_quantity=2,
            description="$5 off when you buy two or more items",
        ),
        dict(
            code="SUMMER25",
            kind="percentage",
            value=Decimal("25"),
            starts_at=now - 120 * day,
            expires_at=now - 30 * day,
            description="25% off (last summer's sale, expired)",
        ),
        dict(
            code="LAUNCH50",
            kind="fixed",
            value=Decimal("50.00"),
            min_subtotal=Decimal("100.00"),
            usage_limit=100,
            usage_count=100,
            description="$50 off (launch offer, used up)",
        ),
        dict(
            code="GIFT-7KQ2M9",
            kind="fixed",
            value=Decimal("20.00"),
            single_use=True,
            usage_limit=1,
            description="single-use $20 gift code",
        ),
        dict(
            code="HOLIDAY30",
            kind="percentage",
            value=Decimal("30"),
            starts_at=now + 30 * day,
            expires_at=now + 45 * day,
            description="30% off during the holidays (not started)",
        ),
        dict(
            code="STAFF40",
            kind="percentage",
            value=Decimal("40"),
            active=False,
            requires_customer=True,
            description="staff discount (switched off)",
        ),
    ]


def demo_promotions(now: datetime) -> list[dict[str, Any]]:
    """The demo's automatic promotions, one of each kind."""
    day = timedelta(days=1)
    return [
        dict(
            name="Camp week",
            kind="percentage",
            value=Decimal("15"),
            categories=["Tents"],
            starts_at=now - 3 * day,
            ends_at=now + 11 * day,
            priority=10,
        ),
        dict(
            name="Socks 3 for 2",
            kind="buy_x_get_y",
            categories=["Socks"],
            buy_quantity=2,
            get_quantity=1,
            priority=5,
        ),
        dict(
            name="Spend $150, save $15",
            kind="spend_threshold",
            value=Decimal("15.00"),
            min_subtotal=Decimal("150.00"),
            priority=1,
        ),
        dict(
            name="Spring sale",
            kind="percentage",
            value=Decimal("20"),
            starts_at=now - 90 * day,
            ends_at=now - 60 * day,
            priority=10,
        ),
    ]


def seed_pricing(sessions: sessionmaker, now: datetime) -> dict[str, int]:
    """Add the demo coupons and promotions that are not there yet; returns what was added."""
    now = naive_utc(now)
    added = {"coupons": 0, "promotions": 0}
    with sessions.begin() as s:
        codes = set(s.scalars(select(CouponRow.code)))
        for fields in demo_coupons(now):
            if fields["code"] not in codes:
                s.add(CouponRow(created_at=now, **fields))
                added["coupons"] += 1
        names = set(s.scalars(select(PromotionRow.name)))
        for fields in demo_promotions(now):
            if fields["name"] not in names:
                s.add(PromotionRow(**fields))
                added["promotions"] += 1
    return added
