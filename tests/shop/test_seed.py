from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from shop.db.models import Customer, Order, OrderItem, Return, Shipment
from shop.seed.demo import DEMO_ORDERS, SeedSize, build, seed_database
from tests.conftest import FIXED_NOW


def test_seed_is_deterministic_for_the_same_now():
    a, b = build(FIXED_NOW, SeedSize.small()), build(FIXED_NOW, SeedSize.small())
    assert a.tables == b.tables
    c = build(FIXED_NOW + timedelta(days=1), SeedSize.small())
    assert [o["order_number"] for o in c.tables["orders"]] == [o["order_number"] for o in a.tables["orders"]]
    assert [o["created_at"] for o in c.tables["orders"]] != [o["created_at"] for o in a.tables["orders"]]


def test_small_seed_contains_demo_orders_and_every_status(seeded_db):
    with seeded_db.sessions.begin() as s:
        statuses = dict(s.execute(select(Order.status, func.count()).group_by(Order.status)).all())
        demo = {
            number: email
            for number, email in s.execute(
                select(Order.order_number, Customer.email)
                .join(Customer)
                .where(Order.order_number.in_([n for n, _ in DEMO_ORDERS.values()]))
            )
        }
    assert set(statuses) == {"pending", "processing", "shipped", "delivered", "cancelled", "returned"}
    assert demo == dict(DEMO_ORDERS.values())


def test_seed_if_empty_leaves_existing_data_alone(seeded_db):
    assert seed_database(seeded_db.engine, now=FIXED_NOW, size=SeedSize.small(), if_empty=True) is None


def test_full_seed_counts_and_spread(db):
    started = time.perf_counter()
    counts = seed_database(db.engine, now=FIXED_NOW)
    elapsed = time.perf_counter() - started
    assert counts is not None
    assert counts["customers"] >= 500 and counts["products"] >= 2000 and counts["orders"] >= 3000
    assert elapsed < 30, elapsed
    with db.sessions.begin() as s:
        statuses = Counter(dict(s.execute(select(Order.status, func.count()).group_by(Order.status)).all()))
        assert all(
            statuses[st] >= 10
            for st in ("pending", "processing", "shipped", "delivered", "cancelled", "returned")
        )
        oldest, newest = s.execute(select(func.min(Order.created_at), func.max(Order.created_at))).one()
        assert FIXED_NOW - timedelta(days=120) <= oldest and newest <= FIXED_NOW
        emails = s.scalars(select(Customer.email)).all()
        assert len(set(emails)) == len(emails) and all(e == e.lower() for e in emails)
        numbers = s.scalars(select(Order.order_number)).all()
        assert all(len(n) == 6 and 100000 <= int(n) <= 999999 for n in numbers)
        shipped = s.scalar(
            select(func.count())
            .select_from(Order)
            .where(Order.status.in_(("shipped", "delivered", "returned")))
        )
        assert s.scalar(select(func.count()).select_from(Shipment)) == shipped
        assert s.scalar(select(func.count()).select_from(Return)) >= statuses["returned"]
        per_order = Counter(s.scalars(select(OrderItem.order_id)).all())
        assert set(per_order.values()) <= {1, 2, 3, 4}
    # one service works on the full seed, new rows get fresh ids (sequences moved on PG)
    from shop.handoff import HandoffService

    assert HandoffService(db.sessions).request("after-seed", "rest", "hi", now=FIXED_NOW).created
