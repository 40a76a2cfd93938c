"""PostgreSQL engines carry connect, statement and lock timeouts (real server, no mocks)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from shop.db.session import make_engine, postgres_connect_args

pytestmark = pytest.mark.postgres


def test_postgres_sessions_get_the_default_timeouts(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SHOP_DB_STATEMENT_TIMEOUT_MS", "SHOP_DB_LOCK_TIMEOUT_MS", "SHOP_DB_CONNECT_TIMEOUT_S"):
        monkeypatch.delenv(name, raising=False)
    engine = make_engine(pg_url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(text("SHOW statement_timeout")) == "5s"
            assert conn.scalar(text("SHOW lock_timeout")) == "2s"
    finally:
        engine.dispose()
    assert postgres_connect_args(pg_url)["connect_timeout"] == 5


def test_a_statement_over_the_limit_is_cancelled(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_DB_STATEMENT_TIMEOUT_MS", "300")
    engine = make_engine(pg_url)
    try:
        with engine.connect() as conn, pytest.raises(OperationalError, match="statement timeout"):
            conn.execute(text("SELECT pg_sleep(3)"))
    finally:
        engine.dispose()


def test_bulk_jobs_may_turn_the_statement_limit_off(pg_url: str) -> None:
    engine = make_engine(pg_url, statement_timeout_ms=0)
    try:
        with engine.connect() as conn:
            assert conn.scalar(text("SHOW statement_timeout")) == "0"
    finally:
        engine.dispose()


def test_options_already_in_the_url_are_kept() -> None:
    args = postgres_connect_args("postgresql://u@h/db?options=-c%20search_path%3Dshop", 100, 50, 0)
    assert args["options"] == "-c search_path=shop -c statement_timeout=100 -c lock_timeout=50"
    assert "connect_timeout" not in args
