"""LoginLimiter over real console DBs (SQLite and PostgreSQL): windows, locks, pruning,
concurrent failures, keys never in clear; and the v1 -> v2 upgrade that gives an existing DB
the masked search text."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text

from console import conversations, db
from console.login_limits import LoginLimiter, LoginLimits
from shop.secrets import generate

NOW = datetime(2024, 6, 1, 12, 0, 0)
LIMITS = LoginLimits(max_failures=3, max_failures_per_address=5, window_seconds=600, lock_seconds=900)


@pytest.fixture(params=["sqlite", "postgresql"])
def console_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'console.db'}"
    from harness.postgres import create_database

    return create_database(request.getfixturevalue("pg_url"), f"console_{uuid.uuid4().hex[:10]}")


@pytest.fixture
def limiter(console_url: str) -> Iterator[LoginLimiter]:
    engine = db.make_engine(console_url)
    db.ensure_schema(engine)
    yield LoginLimiter(engine, generate(), LIMITS)
    engine.dispose()


def _rows(limiter: LoginLimiter) -> list[tuple[str, str, int]]:
    t = db.login_failures.c
    with limiter.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(t.kind, t.key, t.failures))]  # type: ignore[misc]


def test_third_failure_locks_the_username_for_the_lock_time(limiter: LoginLimiter) -> None:
    lim = limiter
    assert [lim.failed(f"10.0.0.{n}", "Ada", NOW) for n in range(3)] == [0, 0, 900]
    assert lim.retry_after("10.0.0.99", "ada", NOW + timedelta(seconds=60)) == 840  # case-folded
    assert lim.retry_after("10.0.0.99", "bob", NOW) == 0
    assert lim.retry_after("10.0.0.99", "ada", NOW + timedelta(seconds=901)) == 0


def test_failures_outside_the_window_start_a_new_count(limiter: LoginLimiter) -> None:
    lim = limiter
    lim.failed("10.0.0.1", "ada", NOW)
    lim.failed("10.0.0.2", "ada", NOW + timedelta(seconds=60))
    assert lim.failed("10.0.0.3", "ada", NOW + timedelta(seconds=700)) == 0
    assert lim.retry_after("10.0.0.4", "ada", NOW + timedelta(seconds=700)) == 0


def test_success_clears_the_username_but_not_the_address(limiter: LoginLimiter) -> None:
    lim = limiter
    for n in range(4):
        lim.failed("10.0.0.1", f"user{n}", NOW)
    lim.failed("10.0.0.1", "ada", NOW)  # fifth from this address: locked
    lim.succeeded("ada")
    assert lim.retry_after("10.0.0.1", "someone", NOW) == 900
    assert lim.retry_after("10.0.0.2", "ada", NOW) == 0


def test_finished_rows_are_pruned_and_keys_are_hmacs(limiter: LoginLimiter) -> None:
    lim = limiter
    for n in range(3):
        lim.failed("10.0.0.1", f"invented-{n}", NOW)
    assert len(_rows(lim)) == 4
    assert all("invented" not in key and "10.0.0" not in key and len(key) == 64 for _, key, _ in _rows(lim))
    lim.failed("10.0.0.2", "later", NOW + timedelta(seconds=601))
    assert len(_rows(lim)) == 2  # only the new address and username remain
    other = LoginLimiter(lim.engine, generate(), LIMITS)  # another secret: other keys
    assert other.retry_after("10.0.0.2", "later", NOW) == 0


def test_concurrent_failures_are_all_counted(limiter: LoginLimiter) -> None:
    wide = LoginLimiter(
        limiter.engine, generate(), LoginLimits(max_failures=1000, max_failures_per_address=1000)
    )
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: wide.failed(f"10.1.0.{n}", "ada", NOW), range(40)))
    t = db.login_failures.c
    with wide.engine.connect() as conn:
        users = conn.execute(select(t.failures).where(t.kind == "user")).scalars().all()
    assert users == [40]


def _drop_v3_columns(conn) -> None:  # type: ignore[no-untyped-def]
    """What version 3 added (tests/console/test_console_languages.py checks that step)."""
    conn.execute(text("DROP INDEX ix_conv_language_last"))
    conn.execute(text("ALTER TABLE conversations DROP COLUMN language"))
    conn.execute(text("ALTER TABLE nlu_inbox DROP COLUMN language"))


def test_upgrade_from_v1_masks_existing_search_text_and_slot_facets(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:  # a version-1 database as the previous console left it
        db.metadata.create_all(
            conn, tables=[t for t in db.metadata.sorted_tables if t.name != "login_failures"]
        )
        conn.execute(text("ALTER TABLE conversations DROP COLUMN search_masked"))
        _drop_v3_columns(conn)
        conn.execute(insert(db.schema_version).values(id=1, version=1))
        conn.execute(
            text(
                "INSERT INTO conversations (sender_id, channel, started_at, last_at, turns, events, fallback,"
                " fallback_count, handoff, paused, slots, search_text, review_status) VALUES ('s1', 'rest',"
                " :t, :t, 1, 1, 0, 0, 0, 0, '{}', 'it''s alex.morgan@example.com', 'unread')"
            ),
            {"t": NOW},
        )
        conn.execute(
            insert(db.facets).values(
                sender_id="s1", kind="slot", value="email=alex.morgan@example.com", count=1
            )
        )
    assert db.ensure_schema(engine) == db.SCHEMA_VERSION == 3

    def found(masked: bool, **query: str) -> list[str]:
        flt = conversations.ConversationFilter.from_query(query)
        return [r["sender_id"] for r in conversations.list_conversations(engine, flt, masked=masked)[0]]

    assert found(True, q="alex.morgan") == [] and found(True, slot="email=alex.morgan@example.com") == []
    assert found(True, q="a***@e***.com") == ["s1"] and found(True, slot="email=a***@e***.com") == ["s1"]
    assert found(False, q="alex.morgan") == ["s1"]
