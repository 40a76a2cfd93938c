"""The demo seed brings the demo coupons and promotions with it."""

from __future__ import annotations

from sqlalchemy import select

from shop.db.pricing_models import CouponRow, PromotionRow
from shop.pricing.service import PricingService
from shop.seed.demo import SeedSize, seed_database
from tests.conftest import FIXED_NOW


def test_demo_seed_creates_coupons_and_promotions(seeded_db):
    with seeded_db.sessions() as s:
        codes = dict(s.execute(select(CouponRow.code, CouponRow.public)).all())
        promotions = set(s.scalars(select(PromotionRow.name)))
    assert {"SAVE10", "WELCOME15", "FREESHIP", "GIFT-7KQ2M9"} <= set(codes)
    assert {c for c, public in codes.items() if public} == {"SAVE10", "FREESHIP", "OUTDOOR20", "TAKE5"}
    assert "Camp week" in promotions
    offers = PricingService(seeded_db.sessions).offers_for(None, FIXED_NOW)
    assert [o.code for o in offers if o.code] == ["FREESHIP", "OUTDOOR20", "SAVE10", "TAKE5"]
    assert [o.title for o in offers if o.code is None] == [
        "Camp week",
        "Socks 3 for 2",
        "Spend $150, save $15",
    ]


def test_seed_counts_include_pricing_and_if_empty_adds_nothing(db):
    counts = seed_database(db.engine, now=FIXED_NOW, size=SeedSize.small())
    assert counts is not None and counts["coupons"] == 10 and counts["promotions"] == 4
    assert seed_database(db.engine, now=FIXED_NOW, size=SeedSize.small(), if_empty=True) is None
    with db.sessions() as s:
        assert len(s.scalars(select(CouponRow)).all()) == 10
