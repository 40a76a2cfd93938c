from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from contextlib import closing
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from shop.db.models import Customer, Order, OrderItem, Return, Shipment
from shop.seed.demo import DEMO_ORDERS, DEMO_RMA, SeedSize, build, seed_database
from tests.conftest import FIXED_NOW

ROOT = Path(__file__).resolve().parents[2]


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


# The rows of SeedSize.small() at FIXED_NOW (image_url aside: it follows STOREFRONT_PUBLIC_URL).
# A change here means every seeded database, the README's demo orders and docs/pricing.md's
# figures change too: update the digest only for a change meant to alter the demo data.
SMALL_SEED_DIGEST = "14969ad2afc107ca438ab6922bb4113b1ede1b89fa5695e8a93f17bb5089c19b"
#: The same rows without ``products.name_zh`` (0007): the digest from before the Chinese names.
SMALL_SEED_DIGEST_WITHOUT_NAME_ZH = "5983060d57b5d16daa1ad72d14023d40b1be827e3dc55186a5eb26e5eb1b5500"


def _digest(tables: dict[str, list[dict[str, object]]], leave_out: tuple[str, ...] = ()) -> str:
    h = hashlib.sha256()
    for rows in tables.values():
        for row in rows:
            kept = {k: str(v) for k, v in row.items() if k != "image_url" and k not in leave_out}
            h.update(json.dumps(kept, sort_keys=True).encode())
    return h.hexdigest()


def test_small_seed_rows_match_the_recorded_digest():
    assert _digest(build(FIXED_NOW, SeedSize.small()).tables) == SMALL_SEED_DIGEST


def test_chinese_names_draw_nothing_from_the_seed():
    tables = build(FIXED_NOW, SeedSize.small()).tables
    assert _digest(tables, ("name_zh",)) == SMALL_SEED_DIGEST_WITHOUT_NAME_ZH
    assert all(p["name_zh"] and p["name_zh"] != p["name"] for p in tables["products"])


def test_each_demo_order_tells_its_story():
    data = build(FIXED_NOW, SeedSize.small())
    orders = {o["order_number"]: o for o in data.tables["orders"]}
    status = {name: orders[number]["status"] for name, (number, _) in DEMO_ORDERS.items()}
    assert status == {
        "delivered_recent": "delivered",
        "shipped": "shipped",
        "processing": "processing",
        "pending": "pending",
        "delivered_old": "delivered",
        "cancelled": "cancelled",
        "returned": "returned",
    }
    recent = orders[DEMO_ORDERS["delivered_recent"][0]]
    assert recent["created_at"] == FIXED_NOW - timedelta(days=9)
    items = [i for i in data.tables["order_items"] if i["order_id"] == recent["id"]]
    assert [i["quantity"] for i in items] == [1, 2]  # running shoe + 2 pairs of socks
    delivered = next(s for s in data.tables["shipments"] if s["order_id"] == recent["id"])
    assert delivered["delivered_at"] == FIXED_NOW - timedelta(days=5)
    in_transit = next(
        s for s in data.tables["shipments"] if s["order_id"] == orders[DEMO_ORDERS["shipped"][0]]["id"]
    )
    assert in_transit["delivered_at"] is None and in_transit["carrier"] == "UPS"
    (rma,) = (r for r in data.tables["returns"] if r["rma_number"] == DEMO_RMA)
    assert rma["order_id"] == orders[DEMO_ORDERS["returned"][0]]["id"] and rma["status"] == "refunded"


def test_seed_command_writes_the_same_database_for_the_same_seed(tmp_path):
    args = ["--now", "2024-06-01", "--seed", "7", "--customers", "20", "--products", "60", "--orders", "80"]
    env = {**os.environ, "SHOP_DEMO_MODE": "1", "SHOP_ENV": "development"}
    dumps = []
    for name in ("a", "b"):
        url = f"sqlite:///{tmp_path / name}.db"
        done = subprocess.run(
            [sys.executable, "-m", "shop.seed.demo", "--url", url, *args],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        assert "20 customers, 60 products" in done.stdout and "80 orders" in done.stdout
        with closing(sqlite3.connect(tmp_path / f"{name}.db")) as conn:
            dumps.append([line for line in conn.iterdump() if "alembic_version" not in line])
    assert dumps[0] == dumps[1] and len(dumps[0]) > 1000
    again = subprocess.run(
        [sys.executable, "-m", "shop.seed.demo", "--if-empty", "--url", f"sqlite:///{tmp_path / 'a'}.db"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert again.stdout.strip() == "demo database already seeded; nothing to do"
