"""The one attempt-window limiter: identity checks, coupon codes, hand-offs, console logins.

An *attempt* is counted under one or more keys, each a ``(scope, value)`` pair with its own
:class:`Limit` (at most ``count`` attempts per ``seconds``). :meth:`AttemptLimiter.attempt`
records the attempt under every key **before** it counts, and lets it go ahead only if each
key holds at most ``count`` attempts recorded up to and including this one; an attempt over a
limit is taken back and refused with the time the key frees up. So of many concurrent
attempts on one key only ``count`` go ahead, whichever process they reach.

When the store can't be read or written the answer is :attr:`Verdict.UNAVAILABLE` and the
caller refuses (fail closed, docs/security.md): a limit that lets everything through while
its store is down is no limit.

Where attempts are kept is an :class:`AttemptStore`:

* :class:`SqlAttemptLog` - one row per attempt in a table of the order DB (sliding window);
  parameterised by the table, so ``lookup_attempts``, ``coupon_attempts`` and
  ``handoff_requests`` keep their schema (migrations 0003 and 0005);
* :class:`shop.lookup_rate.CounterStore` over memory or Redis - a counter per key and fixed
  window (the per-minute lookup limits, :class:`shop.lookup_rate.LookupRateLimiter`);
* ``console.login_limits.LoginFailureStore`` - the console DB's per-key counters with a lock.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.orm import sessionmaker

from shop.clock import from_timestamp, naive_utc

__all__ = ["AttemptLimiter", "AttemptStore", "Decision", "Key", "Limit", "SqlAttemptLog", "Verdict", "Window"]

logger = logging.getLogger(__name__)


def _at(now: datetime | float | None = None) -> datetime:
    """``now`` as the stores' naive UTC clock; epoch seconds are accepted too (the counters)."""
    if isinstance(now, int | float):
        return from_timestamp(now)
    return naive_utc(now)


class Verdict(enum.Enum):
    """What the limiter says about one attempt."""

    ALLOWED = "allowed"
    LIMITED = "limited"  # over a limit: try again at ``retry_at``
    UNAVAILABLE = "unavailable"  # the store is down: refused, try again later


@dataclass(frozen=True)
class Limit:
    """At most ``count`` attempts per ``seconds``; ``count <= 0`` means unlimited.

    ``lock_seconds`` (stores that support it) holds a key that reached its limit for that long
    from the attempt that reached it, instead of until the window frees a slot.
    """

    count: int
    seconds: int = 60
    lock_seconds: int = 0

    @property
    def enabled(self) -> bool:
        """Whether this limit counts at all."""
        return self.count > 0

    @property
    def window(self) -> timedelta:
        """The window as a timedelta."""
        return timedelta(seconds=self.seconds)


@dataclass(frozen=True)
class Key:
    """One counter: the attempts of ``scope`` (a store column or name) equal to ``value``."""

    scope: str
    value: str
    limit: Limit


@dataclass(frozen=True)
class Window:
    """A key's attempts inside its window (``count``, at most limit + 1 are read) and when a
    key at its limit frees up (``frees_at``; None while under it)."""

    count: int
    frees_at: datetime | None = None


class AttemptStore(Protocol):
    """Where attempts are kept; every method may raise when the store is down."""

    def add(self, keys: Sequence[Key], now: datetime, values: Mapping[str, Any]) -> Any:
        """Record one attempt under every key (with the store's extra ``values``); a handle."""

    def window(self, key: Key, now: datetime, handle: Any = None) -> Window:
        """``key``'s window, counting attempts recorded up to ``handle`` (all when None)."""

    def remove(self, handle: Any) -> None:
        """Take a recorded attempt back."""

    def clear(self, key: Key) -> None:
        """Forget every attempt of ``key``."""


@dataclass(frozen=True)
class Decision:
    """The limiter's answer: the verdict, when to retry, tries left and the attempt's handle."""

    verdict: Verdict
    retry_at: datetime | None = None
    #: attempts left before the tightest limit refuses; None when no limit applies
    left: int | None = None
    handle: Any = None
    error: BaseException | None = None

    @property
    def allowed(self) -> bool:
        """True only for :attr:`Verdict.ALLOWED`."""
        return self.verdict is Verdict.ALLOWED

    def raise_if_unavailable(self) -> None:
        """Re-raise the store's error, for callers that refuse on the exception itself."""
        if self.error is not None:
            raise self.error


class AttemptLimiter:
    """Records, then counts, then allows or refuses: the one limiter policy over a store."""

    def __init__(self, store: AttemptStore) -> None:
        self.store = store

    def attempt(
        self,
        keys: Sequence[Key],
        now: datetime | float | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> Decision:
        """Record one attempt under ``keys`` and say whether it may go ahead.

        Disabled limits are recorded but never refuse. An attempt over any limit is taken
        back, so a refusal never extends a lock. A store failure is UNAVAILABLE.
        """
        at = _at(now)
        try:
            handle = self.store.add(keys, at, values or {})
            counted = [(key, self.store.window(key, at, handle)) for key in keys if key.limit.enabled]
            if any(w.count > key.limit.count for key, w in counted):
                self.store.remove(handle)
                after = self.status(keys, at)
                after.raise_if_unavailable()
                fallback = at + max((k.limit.window for k in keys), default=timedelta(0))
                return Decision(Verdict.LIMITED, after.retry_at or fallback, 0)
        except Exception as exc:  # noqa: BLE001 - any store failure: fail closed, loudly
            return self._unavailable(exc)
        left = min((max(key.limit.count - w.count, 0) for key, w in counted), default=None)
        return Decision(Verdict.ALLOWED, None, left, handle)

    def status(self, keys: Sequence[Key], now: datetime | float | None = None) -> Decision:
        """Whether an attempt on ``keys`` would be refused now; records nothing.

        LIMITED while any key is at its limit, with the latest time one frees up.
        """
        at = _at(now)
        retry: datetime | None = None
        left: int | None = None
        try:
            for key in keys:
                if not key.limit.enabled:
                    continue
                w = self.store.window(key, at)
                room = max(key.limit.count - w.count, 0)
                left = room if left is None else min(left, room)
                if w.count >= key.limit.count:
                    until = w.frees_at or at + key.limit.window
                    retry = until if retry is None else max(retry, until)
        except Exception as exc:  # noqa: BLE001 - any store failure: fail closed, loudly
            return self._unavailable(exc)
        if retry is not None:
            return Decision(Verdict.LIMITED, retry, 0)
        return Decision(Verdict.ALLOWED, None, left)

    def release(self, decision: Decision) -> None:
        """Take an allowed attempt back (it turned out not to count)."""
        if decision.handle is not None:
            self.store.remove(decision.handle)

    def clear(self, key: Key) -> None:
        """Forget ``key``'s attempts (a proven login clears its username)."""
        self.store.clear(key)

    @staticmethod
    def _unavailable(exc: BaseException) -> Decision:
        logger.warning("event=rate_limit_store_unavailable error=%s", type(exc).__name__)
        return Decision(Verdict.UNAVAILABLE, error=exc)


class SqlAttemptLog:
    """Attempts as rows of one order-DB table: sliding windows, shared by every process.

    ``scopes`` maps each key scope to the column holding its value; ``time`` names the
    timestamp column; ``counted`` (optional) restricts which rows count (``succeeded`` is
    false). A row holds every key of one attempt plus the ``values`` :meth:`add` is given.

    The statements are built once and reused with bound values: a shopper's proof reads
    about a dozen windows, and building each SELECT anew (with SQLAlchemy deriving the new
    object's cache key) cost about 0.5 ms of CPU per window, three quarters of the form
    validator's time (docs/performance.md). They run on a connection of the sessions' engine
    when the sessionmaker names one, without an ORM session around them (another 0.1 ms).
    ``tests/shop/test_attempt_log_statements.py`` compares the rows with statements built per call.
    """

    def __init__(
        self,
        sessions: sessionmaker,
        table: Any,
        scopes: Mapping[str, str],
        time: str = "created_at",
        counted: Any = None,
    ) -> None:
        self._sessions = sessions
        self.table = getattr(table, "__table__", table)
        self._scopes = dict(scopes)
        self._time = self.table.c[time]
        self._id = self.table.c["id"]
        self._counted = counted
        self._insert = insert(self.table)
        self._windows: dict[tuple[str, bool], Any] = {}
        # Core statements need no ORM session: on the sessions' engine when they name one.
        self._engine = getattr(self._sessions, "kw", {}).get("bind")

    def _column(self, key: Key) -> Any:
        return self.table.c[self._scopes[key.scope]]

    def _rows(self, statement: Any, params: Mapping[str, Any]) -> list[Any]:
        """The first column of ``statement``'s rows, in one read transaction."""
        if self._engine is None:
            with self._sessions.begin() as s:
                return list(s.scalars(statement, params))
        with self._engine.connect() as conn:
            return list(conn.execute(statement, params).scalars())

    def _window_statement(self, scope: str, up_to_handle: bool) -> Any:
        """The window SELECT of ``scope`` (rows up to a handle or all), built on first use."""
        statement = self._windows.get((scope, up_to_handle))
        if statement is None:
            column = self.table.c[self._scopes[scope]]
            query = select(self._time).where(
                column == bindparam("value"), self._time > bindparam("since"), self._time <= bindparam("now")
            )
            if self._counted is not None:
                query = query.where(self._counted)
            if up_to_handle:
                query = query.where(self._id <= bindparam("handle"))
            statement = query.order_by(self._time.desc(), self._id.desc()).limit(bindparam("rows"))
            self._windows[(scope, up_to_handle)] = statement  # two threads may both build: same SQL
        return statement

    def add(self, keys: Sequence[Key], now: datetime, values: Mapping[str, Any]) -> int:
        """Insert the attempt's row; its id is the handle."""
        row: dict[str, Any] = {self._scopes[key.scope]: key.value for key in keys}
        row.update(values)
        row[self._time.name] = now
        if self._engine is None:
            with self._sessions.begin() as s:
                return int(s.execute(self._insert, row).inserted_primary_key[0])
        with self._engine.begin() as conn:
            return int(conn.execute(self._insert, row).inserted_primary_key[0])

    def window(self, key: Key, now: datetime, handle: Any = None) -> Window:
        """Newest ``count + 1`` counted rows of ``key`` inside the window (up to ``handle``)."""
        limit = key.limit
        params = {"value": key.value, "since": now - limit.window, "now": now, "rows": limit.count + 1}
        if handle is not None:
            params["handle"] = handle
        times = self._rows(self._window_statement(key.scope, handle is not None), params)
        if len(times) < limit.count:
            return Window(len(times))
        hold = timedelta(seconds=limit.lock_seconds) if limit.lock_seconds else limit.window
        # Frees up once the oldest of the newest `count` attempts leaves the window.
        return Window(len(times), times[limit.count - 1] + hold)

    def remove(self, handle: Any) -> None:
        """Delete the attempt's row."""
        with self._sessions.begin() as s:
            s.execute(delete(self.table).where(self._id == handle))

    def clear(self, key: Key) -> None:
        """Delete every row of ``key``."""
        with self._sessions.begin() as s:
            s.execute(delete(self.table).where(self._column(key) == key.value))

    def prune(self, before: datetime, key: Key | None = None) -> int:
        """Delete the rows (of ``key``, default all) older than ``before``; returns how many."""
        query = delete(self.table).where(self._time <= before)
        if key is not None:
            query = query.where(self._column(key) == key.value)
        with self._sessions.begin() as s:
            return int(s.execute(query).rowcount or 0)
