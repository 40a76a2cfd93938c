"""Engine and session factory: one session per unit of work.

A SQLite file (dev, tests, the benchmarks' stacks) is opened in WAL mode with
``synchronous=NORMAL``, a 30 s busy timeout, and its connections pooled (:data:`SQLITE_POOL_SIZE`,
the action server's worker threads): SQLAlchemy 1.4's default for SQLite files is a new
connection per session, which re-ran the pragmas, and when it closed the last one, checkpointed
and deleted the WAL, and with ``synchronous=FULL`` fsynced every commit, so concurrent
writers (the identity check's counters, 8 threads) queued behind each other's fsyncs
(docs/performance.md). NORMAL in WAL mode never corrupts the database and loses no commit on
a process crash; a power cut may lose the last commits. In-memory SQLite keeps SQLAlchemy's
default (one connection per thread: every connection would otherwise be a database of its own).

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
from sqlalchemy.pool import QueuePool

from shop import settings as shop_settings
from shop.config import default_db_url

DEFAULT_CONNECT_TIMEOUT_S = 5
DEFAULT_STATEMENT_TIMEOUT_MS = 5000
DEFAULT_LOCK_TIMEOUT_MS = 2000
#: Pooled connections to a SQLite file (the action server runs 8 worker threads), and overflow.
SQLITE_POOL_SIZE, SQLITE_MAX_OVERFLOW = 8, 8
SQLITE_BUSY_TIMEOUT_S = 30


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
        pool: dict[str, Any] = {}
        if _sqlite_file(url):
            pool = {"poolclass": QueuePool, "pool_size": SQLITE_POOL_SIZE}
            pool["max_overflow"] = SQLITE_MAX_OVERFLOW
        sqlite_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S}
        engine = create_engine(url, future=True, connect_args=sqlite_args, **pool)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    parsed = make_url(url)
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() == "psycopg2":
        connect_args = postgres_connect_args(url, statement_timeout_ms=statement_timeout_ms)
    return create_engine(
        url, future=True, pool_pre_ping=True, pool_size=5, max_overflow=10, connect_args=connect_args
    )


def _sqlite_file(url: str) -> bool:
    """Whether a SQLite URL names a file (not ``sqlite://``, ``:memory:`` or ``mode=memory``)."""
    parsed = make_url(url)
    database = parsed.database or ""
    return bool(database) and database != ":memory:" and parsed.query.get("mode") != "memory"


def make_sessionmaker(engine: Engine) -> sessionmaker:
    """Sessions that keep loaded objects readable after commit."""
    return sessionmaker(bind=engine, future=True, expire_on_commit=False, class_=Session)


@cache
def default_sessionmaker() -> sessionmaker:
    """The process-wide session factory for the configured database."""
    return make_sessionmaker(make_engine())
