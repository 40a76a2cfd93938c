"""Rasa's SQL tracker store, configured from URL parts in the environment.

``endpoints.yml`` fills every part from an environment variable, so one file serves SQLite
(``make run``, tests) and PostgreSQL (replicas). Rasa 3.6's ``SQLTrackerStore`` builds its
URL from every part it is given, which breaks SQLite as soon as a host or port is set
(``sqlite://:@localhost:5432/...``) and cannot take an empty port. This subclass treats
blank parts as unset and ignores host, port and credentials for SQLite — unless the
host is a whole URL (``sqlite:///path``), which Rasa uses as it is. SQLite gets a pooled
connection in WAL mode, without fsyncs per save (:func:`fast_sqlite_engine`).
"""

from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from ops.tracker_window import BoundedSessionStore


def _blank_to_none(value: Any) -> Optional[Any]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value


class EnvSQLTrackerStore(BoundedSessionStore):
    """``SQLTrackerStore`` that accepts the same parts for SQLite and PostgreSQL.

    Long sessions load bounded (issue 13): :class:`ops.tracker_window.BoundedSessionStore`.
    """

    def __init__(
        self,
        domain: Any = None,
        dialect: str = "sqlite",
        host: Optional[str] = None,
        port: Any = None,
        db: str = "rasa.db",
        username: Optional[str] = None,
        password: Optional[str] = None,
        event_broker: Any = None,
        login_db: Optional[str] = None,
        query: Optional[dict] = None,
        **kwargs: Any,
    ) -> None:
        dialect = (_blank_to_none(dialect) or "sqlite").strip()
        if dialect == "sqlite":
            if not (host and "://" in host):
                host = None
            port = username = password = login_db = None
        super().__init__(
            domain=domain,
            dialect=dialect,
            host=_blank_to_none(host),
            port=_blank_to_none(port),
            db=db,
            username=_blank_to_none(username),
            password=_blank_to_none(password),
            event_broker=event_broker,
            login_db=_blank_to_none(login_db),
            query=query,
            **kwargs,
        )
        if dialect == "sqlite":
            rasa_engine: Engine = getattr(self, "engine")  # noqa: B009 (set by Rasa, untyped)
            self.engine = fast_sqlite_engine(rasa_engine)
            self.sessionmaker = sessionmaker(bind=self.engine)


def fast_sqlite_engine(engine: Engine) -> Engine:
    """The SQLite tracker store's engine again, pooled, in WAL mode with ``synchronous=NORMAL``.

    Rasa's engine for SQLite has no pool (a new connection per retrieve and per save) and
    the rollback journal with ``synchronous=FULL``: each save fsyncs several times, and in
    WAL mode closing the last connection checkpoints and deletes the log. Either way ~10-20 ms
    per save that block Rasa's event loop every turn (docs/performance.md). One pooled
    connection in WAL mode commits in well under a millisecond; NORMAL stays consistent after
    a crash and may lose only the last commits on a power cut, acceptable for the SQLite store
    (dev and tests; replicas use PostgreSQL). Rasa touches the store from its event loop's
    thread only; ``check_same_thread=False`` lets the pool hand a connection to any thread.
    """
    fast = create_engine(
        engine.url,
        poolclass=QueuePool,
        pool_size=1,
        max_overflow=4,
        connect_args={"check_same_thread": False},
    )

    @event.listens_for(fast, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    engine.dispose()
    return fast
