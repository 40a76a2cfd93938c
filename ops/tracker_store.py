"""Rasa's SQL tracker store, configured from URL parts in the environment.

``endpoints.yml`` fills every part from an environment variable, so one file serves SQLite
(``make run``, tests) and PostgreSQL (replicas). Rasa 3.6's ``SQLTrackerStore`` builds its
URL from every part it is given, which breaks SQLite as soon as a host or port is set
(``sqlite://:@localhost:5432/...``) and cannot take an empty port. This subclass treats
blank parts as unset and ignores host, port and credentials for SQLite — unless the
host is a whole URL (``sqlite:///path``), which Rasa uses as it is.
"""

from __future__ import annotations

from typing import Any, Optional

from rasa.core.tracker_store import SQLTrackerStore


def _blank_to_none(value: Any) -> Optional[Any]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value


class EnvSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` that accepts the same parts for SQLite and PostgreSQL."""

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
