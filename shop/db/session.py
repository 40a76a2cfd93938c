"""Engine and session factory: one session per unit of work.

PostgreSQL connections carry limits so one slow query or held lock never stalls a caller
for long: ``SHOP_DB_CONNECT_TIMEOUT_S`` (5), ``SHOP_DB_STATEMENT_TIMEOUT_MS`` (5000) and
``SHOP_DB_LOCK_TIMEOUT_MS`` (2000); ``0`` turns one off. Bulk jobs (seeding, imports) may
pass ``statement_timeout_ms=0``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from shop import settings as shop_settings
from shop.config import default_db_url

DEFAULT_CONNECT_TIMEOUT_S = 5
DEFAULT_STATEMENT_TIMEOUT_MS = 5000
DEFAULT_LOCK_TIMEOUT_MS = 2000


def _env_int(name: str, default: int) -> int:
    return int(shop_settings.value(name))  # declared with its default; 0 or more


def postgres_connect_args(
    url: str,
    statement_timeout_ms: int | None = None,
    lock_timeout_ms: int | None = None,
    connect_timeout_s: int | None = None,
) -> dict[str, Any]:
    """libpq connect arguments with the timeouts (each from the environment unless given)."""
    if statement_timeout_ms is None:
        statement_timeout_ms = _env_int("SHOP_DB_STATEMENT_TIMEOUT_MS", DEFAULT_STATEMENT_TIMEOUT_MS)
    if lock_timeout_ms is None:
        lock_timeout_ms = _env_int("SHOP_DB_LOCK_TIMEOUT_MS", DEFAULT_LOCK_TIMEOUT_MS)
    if connect_timeout_s is None:
        connect_timeout_s = _env_int("SHOP_DB_CONNECT_TIMEOUT_S", DEFAULT_CONNECT_TIMEOUT_S)
    args: dict[str, Any] = {}
    if connect_timeout_s:
        args["connect_timeout"] = connect_timeout_s
    options = [str(make_url(url).query.get("options") or "").strip()]
    options.append(f"-c statement_timeout={statement_timeout_ms}")
    options.append(f"-c lock_timeout={lock_timeout_ms}")
    args["options"] = " ".join(o for o in options if o)
    return args


def make_engine(url: str | None = None, *, statement_timeout_ms: int | None = None) -> Engine:
    """Create an engine for ``url`` (default: ``SHOP_DB_URL`` or SQLite under ``var/``)."""
    url = url or default_db_url()
    if url.startswith("sqlite"):
        engine = create_engine(url, future=True, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    parsed = make_url(url)
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() == "psycopg2":
        connect_args = postgres_connect_args(url, statement_timeout_ms=statement_timeout_ms)
    return create_engine(
        url, future=True, pool_pre_ping=True, pool_size=5, max_overflow=10, connect_args=connect_args
    )


def make_sessionmaker(engine: Engine) -> sessionmaker:
    """Sessions that keep loaded objects readable after commit."""
    return sessionmaker(bind=engine, future=True, expire_on_commit=False, class_=Session)


@cache
def default_sessionmaker() -> sessionmaker:
    """The process-wide session factory for the configured database."""
    return make_sessionmaker(make_engine())
