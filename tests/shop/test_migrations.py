from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, inspect

from harness.postgres import create_database
from shop.db import models
from shop.db.migrate import current_revision, head_revision, load_all_models, upgrade
from shop.db.session import make_engine


def diffs(engine, metadata: MetaData) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)


# Columns later migrations added to shop/db/models.py's tables (0005_guessing_limits,
# 0006_lookup_pending, 0007_product_name_zh).
ADDED_LATER = {
    "lookup_attempts": {"order_key", "email_key", "source_key", "pending"},
    "handoff_requests": {"source_key"},
    "products": {"name_zh"},
}


def orders_metadata() -> MetaData:
    """Only the tables declared in shop/db/models.py (what 0001_orders must create)."""
    metadata = MetaData()
    for obj in vars(models).values():
        if (
            isinstance(obj, type)
            and getattr(obj, "__module__", "") == models.__name__
            and hasattr(obj, "__table__")
        ):
            table = obj.__table__.to_metadata(metadata)
            later = ADDED_LATER.get(table.name, set())
            for index in [i for i in table.indexes if {c.name for c in i.columns} & later]:
                table.indexes.discard(index)
            for name in later:
                table._columns.remove(table.c[name])
    return metadata


def test_upgrade_of_empty_database_matches_models(db):
    assert current_revision(db.url) == head_revision()
    assert diffs(db.engine, load_all_models()) == []


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_first_migration_creates_exactly_the_order_tables(backend, tmp_path, request):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'first.db'}"
    else:
        url = create_database(request.getfixturevalue("pg_url"), f"first_{uuid.uuid4().hex[:10]}")
    upgrade(url, "0001_orders")
    engine = make_engine(url)
    try:
        assert current_revision(url) == "0001_orders"
        assert diffs(engine, orders_metadata()) == []
    finally:
        engine.dispose()


def test_upgrade_is_repeatable(db):
    upgrade(db.url)
    assert set(load_all_models().tables) <= set(inspect(db.engine).get_table_names())


def test_upgrade_creates_sqlite_directory(tmp_path):
    url = f"sqlite:///{tmp_path / 'nested' / 'var' / 'shop.db'}"
    upgrade(url)
    assert (tmp_path / "nested" / "var" / "shop.db").exists()
    assert current_revision(url) == head_revision()
