"""Rasa's conversation locks in a SQLite file, shared by every Rasa process on one machine.

Rasa serves several Sanic workers (``SANIC_WORKERS``: processes forked from one parent, one
shared listening socket, each loading its own agent) only with a lock store that the workers
share; the in-memory store is per process, so Rasa falls back to one worker. Redis is the
store for replicas on several machines (production); this one needs no server, for the
embedded default (``make run``: SQLite tracker store, all workers on one machine).

Rasa's base :class:`~rasa.core.lock_store.LockStore` builds every operation from
``get_lock`` + ``save_lock`` (read the whole ticket queue, change it, write it back). That
is atomic only within one event loop; across processes (and on Redis too) two workers can
read the same queue, both issue ticket N and both go ahead, or one write drops the other's
ticket. Here a lock is rows of one table and each operation is one SQLite statement or one
``BEGIN IMMEDIATE`` transaction, so:

* tickets for one conversation are issued in order across processes, and only the lowest
  live ticket is served (the same conversation is handled by one worker at a time);
* different conversations are different rows: they never wait for each other (a write
  transaction lasts microseconds);
* ticket numbers come from ``AUTOINCREMENT`` and are never reused, so a holder whose ticket
  expired cannot remove a newer ticket when it finishes;
* a ticket expires after its lifetime (Rasa's ``TICKET_LOCK_LIFETIME``, 60 s by default),
  so a crashed worker's lock is freed by the next waiter.

The file is chosen by ``LOCK_STORE_PATH`` (blank: next to the SQLite tracker store, which
the locks protect, e.g. ``var/tracker-locks.db``). It must be on a local disk (WAL mode).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections import deque
from pathlib import Path
from typing import Any, AsyncContextManager, Mapping, Optional

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

from shop import settings as shop_settings

__all__ = ["SQLiteLockStore", "default_path"]

logger = logging.getLogger(__name__)

#: Seconds between a waiting message's checks (Rasa's own stores wait 1 s).
DEFAULT_POLL_INTERVAL = 0.05
#: Seconds a statement waits for another process's write transaction.
BUSY_TIMEOUT = 5.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS lock_tickets (
    number INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL,
    expires REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS lock_tickets_conversation ON lock_tickets (conversation_id, number);
CREATE INDEX IF NOT EXISTS lock_tickets_expires ON lock_tickets (expires);
"""


def default_path(env: Optional[Mapping[str, str]] = None) -> Path:
    """The lock file: ``LOCK_STORE_PATH``, else beside the SQLite tracker DB, else var/locks.db.

    Beside the tracker store because the locks guard exactly the processes sharing it (a
    test stack with its own tracker DB gets its own locks).
    """
    configured = shop_settings.value("LOCK_STORE_PATH", env)
    if configured:
        return Path(configured)
    if shop_settings.value("TRACKER_DIALECT", env).strip().lower() == "sqlite":
        tracker = Path(shop_settings.value("TRACKER_DB", env))
        return tracker.with_name(f"{tracker.stem}-locks.db")
    return Path("var/locks.db")


class SQLiteLockStore(LockStore):
    """Ticket locks as rows of a SQLite table, each operation atomic across processes."""

    def __init__(
        self,
        endpoint_config: Optional[EndpointConfig] = None,
        path: Optional[os.PathLike[str] | str] = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> None:
        """Open (and create) the lock file: ``path``, else :func:`default_path`.

        Rasa passes ``endpoint_config`` (endpoints.yml ``lock_store``); its Redis keys
        (url, port, db, password, key_prefix) mean nothing here.
        """
        self.path = Path(path) if path is not None else default_path()
        self.poll_interval = poll_interval
        self._conn: Optional[sqlite3.Connection] = None
        self._pid = -1
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self._connection()
        conn.executescript(_SCHEMA)
        logger.debug("ticket locks in %s", self.path)
        super().__init__()

    def _connection(self) -> sqlite3.Connection:
        """This process's connection (a SQLite connection must not cross a fork)."""
        if self._conn is None or self._pid != os.getpid():
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            # Locks need not survive a power cut: no fsync on each commit.
            conn.execute("PRAGMA synchronous=NORMAL")
            self._conn, self._pid = conn, os.getpid()
        return self._conn

    def _execute(self, sql: str, *params: Any) -> sqlite3.Cursor:
        return self._connection().execute(sql, params)

    # --- Rasa's LockStore API, each operation atomic -------------------------------------

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Append a ticket to the conversation's queue in one write transaction."""
        now = time.time()
        conn = self._connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("DELETE FROM lock_tickets WHERE expires < ?", (now,))
                cursor = conn.execute(
                    "INSERT INTO lock_tickets (conversation_id, expires) VALUES (?, ?)",
                    (conversation_id, now + lock_lifetime),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc
        number = cursor.lastrowid
        assert number is not None
        return number

    def get_lock(self, conversation_id: str) -> Optional[TicketLock]:
        """The conversation's live tickets in order, None when there are none."""
        rows = self._execute(
            "SELECT number, expires FROM lock_tickets WHERE conversation_id = ? AND expires >= ? "
            "ORDER BY number",
            conversation_id,
            time.time(),
        ).fetchall()
        if not rows:
            return None
        return TicketLock(conversation_id, deque(Ticket(n, e) for n, e in rows))

    def save_lock(self, lock: TicketLock) -> None:
        """Replace the conversation's tickets by ``lock``'s (not used by the operations here)."""
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM lock_tickets WHERE conversation_id = ?", (lock.conversation_id,))
            conn.executemany(
                "INSERT INTO lock_tickets (number, conversation_id, expires) VALUES (?, ?, ?)",
                [(t.number, lock.conversation_id, t.expires) for t in lock.tickets],
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def delete_lock(self, conversation_id: str) -> None:
        """Drop every ticket of the conversation."""
        deleted = self._execute("DELETE FROM lock_tickets WHERE conversation_id = ?", conversation_id)
        self._log_deletion(conversation_id, deleted.rowcount > 0)

    def update_lock(self, conversation_id: str) -> None:
        """Drop the conversation's expired tickets (a crashed holder's, say)."""
        self._execute(
            "DELETE FROM lock_tickets WHERE conversation_id = ? AND expires < ?",
            conversation_id,
            time.time(),
        )

    def is_someone_waiting(self, conversation_id: str) -> bool:
        """Whether the conversation has a live ticket."""
        return self.get_lock(conversation_id) is not None

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Drop this ticket only: the next one in the queue is served."""
        self._execute(
            "DELETE FROM lock_tickets WHERE conversation_id = ? AND number = ?",
            conversation_id,
            ticket_number,
        )

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Drop this ticket; an empty queue is no lock, so nothing else to delete."""
        self.finish_serving(conversation_id, ticket_number)

    def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: Optional[float] = None,
    ) -> AsyncContextManager[TicketLock]:
        """Rasa's ticket lock, checking every ``poll_interval`` seconds while queued."""
        wait = self.poll_interval if wait_time_in_seconds is None else wait_time_in_seconds
        return super().lock(conversation_id, lock_lifetime, wait)

    def close(self) -> None:
        """Close this process's connection."""
        if self._conn is not None and self._pid == os.getpid():
            self._conn.close()
        self._conn = None
