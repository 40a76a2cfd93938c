"""Engine and session factory: one session per unit of work."""

from __future__ import annotations

from functools import cache

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from shop.config import default_db_url


def make_engine(url: str | None = None) -> Engine:
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
    return create_engine(url, future=True, pool_pre_ping=True, pool_size=5, max_overflow=10)


def make_sessionmaker(engine: Engine) -> sessionmaker:
    """Sessions that keep loaded objects readable after commit."""
    return sessionmaker(bind=engine, future=True, expire_on_commit=False, class_=Session)


@cache
def default_sessionmaker() -> sessionmaker:
    """The process-wide session factory for the configured database."""
    return make_sessionmaker(make_engine())
