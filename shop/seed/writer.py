"""Writing a seed: the generated rows into a migrated, empty database, then the demo pricing.

Rows go in :data:`~shop.seed.tables.TABLE_ORDER` in batches of 5,000 in one transaction.
Ids were assigned by the generators, so on PostgreSQL each table's sequence is moved past
them for the rows the services insert later.
"""

from __future__ import annotations

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Engine

from shop.db import models as m
from shop.db.session import make_sessionmaker
from shop.pricing.seed import seed_pricing
from shop.seed.tables import TABLE_ORDER, SeedData

__all__ = ["BATCH", "is_empty", "write"]

BATCH = 5000


def is_empty(engine: Engine) -> bool:
    """True when the database has no customers yet: the test for "already seeded"."""
    with engine.connect() as conn:
        return not conn.execute(select(func.count()).select_from(m.Customer.__table__)).scalar()


def write(engine: Engine, data: SeedData) -> dict[str, int]:
    """Insert every generated row, then the demo coupons and promotions; returns row counts.

    The rows go in one transaction; the pricing (:func:`shop.pricing.seed.seed_pricing`) is
    dated relative to the same ``data.now``.
    """
    tables = m.Base.metadata.tables
    with engine.begin() as conn:
        for name in TABLE_ORDER:
            rows = data.tables[name]
            for start in range(0, len(rows), BATCH):
                conn.execute(insert(tables[name]), rows[start : start + BATCH])
        if conn.dialect.name == "postgresql":
            # Ids were given explicitly; move each sequence past them for later inserts.
            for name in TABLE_ORDER:
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"COALESCE(MAX(id), 0) + 1, false) FROM {name}"
                    )
                )
    return {**data.counts(), **seed_pricing(make_sessionmaker(engine), data.now)}
