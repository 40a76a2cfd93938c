"""Deterministic demo data: ``python -m shop.seed.demo [--if-empty] [--url URL]``.

Everything is drawn from ``random.Random(seed)`` and a seeded Faker, relative to a
reference ``now`` (default: today 12:00 UTC), so the same inputs give identical rows.
The data has structure worth mining: shoppers stick to one or two favourite
categories, some product pairs (shoe + socks) are bought together, and past prices
moved by up to ±10% with demand reacting to them.

A handful of fixed orders (``DEMO_ORDERS``) exist in every seed for the README and tests.
The work is split by job: :mod:`~shop.seed.fixtures` (the fixed rows),
:mod:`~shop.seed.catalog`, :mod:`~shop.seed.shoppers`, :mod:`~shop.seed.history` (the
generators, in that order: they share one random stream), :mod:`~shop.seed.writer`
(the database); this module puts them together and is the command line.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, datetime

from faker import Faker
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from shop.clock import naive_utc
from shop.seed.catalog import build_catalog
from shop.seed.fixtures import DEMO_CUSTOMERS, DEMO_ORDERS, DEMO_RMA
from shop.seed.history import FLAT_SHIPPING, FREE_SHIPPING_FROM, build_history
from shop.seed.shoppers import build_shoppers
from shop.seed.tables import DEFAULT_SEED, HISTORY_DAYS, TABLE_ORDER, SeedData, SeedSize, default_now
from shop.seed.writer import is_empty, write

__all__ = [
    "DEFAULT_SEED",
    "DEMO_CUSTOMERS",
    "DEMO_ORDERS",
    "DEMO_RMA",
    "FLAT_SHIPPING",
    "FREE_SHIPPING_FROM",
    "HISTORY_DAYS",
    "TABLE_ORDER",
    "SeedData",
    "SeedSize",
    "build",
    "default_now",
    "is_empty",
    "main",
    "seed_database",
]


def build(now: datetime | None = None, size: SeedSize | None = None, seed: int = DEFAULT_SEED) -> SeedData:
    """Generate every row in memory. Pure: same ``now``, ``size`` and ``seed`` -> same rows."""
    size = size or SeedSize()
    data = SeedData(now=naive_utc(now or default_now()))
    rng = random.Random(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    catalog = build_catalog(data, rng, size.products)
    shoppers = build_shoppers(data, rng, fake, size.customers)
    build_history(data, rng, catalog, shoppers, size.orders)
    return data


def seed_database(
    target: Engine | sessionmaker,
    now: datetime | None = None,
    size: SeedSize | None = None,
    seed: int = DEFAULT_SEED,
    if_empty: bool = False,
) -> dict[str, int] | None:
    """Insert the demo data into a migrated, empty database; returns row counts.

    The demo coupons and promotions (:func:`shop.pricing.seed.seed_pricing`) come with it,
    dated relative to the same ``now``.

    With ``if_empty`` a database that already has customers is left alone (returns None).
    """
    engine: Engine = target.kw["bind"] if isinstance(target, sessionmaker) else target
    if not is_empty(engine):
        if if_empty:
            return None
        raise RuntimeError("the database already has customers; seed an empty database")
    return write(engine, build(now, size, seed))


def main(argv: list[str] | None = None) -> None:
    """The command line: migrate the database at ``--url``, then seed it (demo mode only)."""
    from shop.db.migrate import upgrade
    from shop.db.session import make_engine

    parser = argparse.ArgumentParser(description="Seed the demo order database.")
    parser.add_argument("--url", help="database URL (default: SHOP_DB_URL or var/shop.db)")
    parser.add_argument("--if-empty", action="store_true", help="do nothing if customers exist")
    parser.add_argument("--now", type=date.fromisoformat, help="reference date (default: today)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--customers", type=int, default=SeedSize.customers)
    parser.add_argument("--products", type=int, default=SeedSize.products)
    parser.add_argument("--orders", type=int, default=SeedSize.orders)
    args = parser.parse_args(argv)
    from shop.secrets import demo_mode

    if not demo_mode():
        # Demo customers, their orders and public coupons have no place in a real shop's DB.
        why = "demo mode is off (SHOP_ENV=production or SHOP_DEMO_MODE=0)"
        if args.if_empty:
            print(f"skipped the demo seed: {why}")
            return
        raise SystemExit(f"refusing to seed demo data: {why}")
    now = datetime(args.now.year, args.now.month, args.now.day, 12) if args.now else default_now()
    started = time.perf_counter()
    upgrade(args.url)
    engine = make_engine(args.url, statement_timeout_ms=0)  # bulk inserts: no per-statement limit
    try:
        counts = seed_database(
            engine, now, SeedSize(args.customers, args.products, args.orders), args.seed, args.if_empty
        )
    finally:
        engine.dispose()
    if counts is None:
        print("demo database already seeded; nothing to do")
        return
    summary = ", ".join(f"{n} {t}" for t, n in counts.items())
    print(f"seeded in {time.perf_counter() - started:.1f}s (now={now:%Y-%m-%d %H:%M} UTC): {summary}")


if __name__ == "__main__":
    main()
