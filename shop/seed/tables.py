"""The rows a seed produces: sizes, the tables in insert order, and the container they fill.

The generators (:mod:`shop.seed.catalog`, :mod:`shop.seed.shoppers`, :mod:`shop.seed.history`)
append plain dicts here, ids included; :mod:`shop.seed.writer` inserts them table by table in
:data:`TABLE_ORDER`, so foreign keys always point at rows already written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shop.clock import utcnow

__all__ = ["DEFAULT_SEED", "HISTORY_DAYS", "TABLE_ORDER", "Row", "SeedData", "SeedSize", "default_now"]

Row = dict[str, Any]
DEFAULT_SEED = 20240611
#: Orders are placed over this many days before ``now``.
HISTORY_DAYS = 120

TABLE_ORDER = (
    "categories",
    "customers",
    "products",
    "product_variants",
    "orders",
    "order_items",
    "shipments",
    "shipment_events",
    "order_status_changes",
    "returns",
    "return_items",
)


def default_now() -> datetime:
    """Today at 12:00 UTC (naive), so "the last 120 days" follows the run date."""
    today = utcnow().date()
    return datetime(today.year, today.month, today.day, 12, 0, 0)


@dataclass(frozen=True)
class SeedSize:
    """How many customers, products and orders to generate (the demo's default is the full shop)."""

    customers: int = 520
    products: int = 2000
    orders: int = 3200

    @classmethod
    def small(cls) -> SeedSize:
        """Quick to build, still covers every status: for tests."""
        return cls(customers=20, products=60, orders=100)


@dataclass
class SeedData:
    """Rows per table, ready for ``insert()``; ids are assigned here."""

    now: datetime
    tables: dict[str, list[Row]] = field(default_factory=lambda: {t: [] for t in TABLE_ORDER})

    def counts(self) -> dict[str, int]:
        """Rows per table, for the CLI's summary and the tests."""
        return {name: len(rows) for name, rows in self.tables.items()}

    def next_id(self, table: str) -> int:
        """The id the next row appended to ``table`` gets (ids are 1, 2, 3, ... in append order)."""
        return len(self.tables[table]) + 1

    def add(self, table: str, row: Row) -> int:
        """Append ``row`` to ``table`` with the next id (as its first column) and return that id."""
        rid = self.next_id(table)
        self.tables[table].append({"id": rid, **row})
        return rid
