"""Failed-login limits per client address and per username, shared by every console process.

Failures are counted in the console DB (``login_failures``), one row per key, where a key is
the HMAC-SHA256 under CONSOLE_SECRET of the client address or the (case-folded) username: the
table never holds either in clear, and a row is a fixed 64 characters whatever was typed.

* A key with ``max_failures`` failures inside ``window_seconds`` is locked for ``lock_seconds``
  (5 per username, 20 per address, 15-minute window and lock by default).
* While either key is locked the login is refused before the password is checked, so a right
  password does not get through; the refusal says when to retry.
* A successful login clears its username's count, never its address's (one good account must
  not reset an address that is guessing others).
* Counting is one atomic UPDATE (or INSERT) per key, correct with several processes on one DB.
* The policy is the shop's one attempt-window limiter (:class:`shop.ratelimit.AttemptLimiter`);
  :class:`LoginFailureStore` is its store over this table (a counter and a lock per key).
* Rows whose window and lock are both over are deleted on every failure, so the table holds at
  most the keys that failed in the last window: per address at most ``max_failures_per_address``
  usernames, however many an attacker invents.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from console import db
from shop.clock import naive_utc
from shop.ratelimit import AttemptLimiter, Key, Limit, Window

__all__ = ["LoginFailureStore", "LoginLimits", "LoginLimiter"]

ADDRESS = "addr"
USERNAME = "user"


@dataclass(frozen=True)
class LoginLimits:
    """How many failures lock a username or an address, and for how long."""

    max_failures: int = 5
    max_failures_per_address: int = 20
    window_seconds: int = 900
    lock_seconds: int = 900


class LoginFailureStore:
    """The limiter's store over ``login_failures``: a fixed-window counter and a lock per key.

    A key's count restarts when its window is over; reaching the limit sets ``locked_until``
    (the attempt's time + the lock). Once a lock is served the key stands one below its
    limit until its window ends, so the next failure locks it again.
    """

    def __init__(self, engine: Engine, window_seconds: int) -> None:
        self.engine = engine
        self.window_seconds = window_seconds

    def add(self, keys: Sequence[Key], now: datetime, values: Mapping[str, Any]) -> dict[Key, int]:
        """Count one failure under each key (locking those at their limit); prune finished rows."""
        t = db.login_failures.c
        counts: dict[Key, int] = {}
        with self.engine.begin() as conn:
            for key in keys:
                counts[key] = count = self._bump(conn, key, now)
                limit = key.limit
                if limit.enabled and count >= limit.count:
                    conn.execute(
                        update(db.login_failures)
                        .where(t.kind == key.scope, t.key == key.value)
                        .values(locked_until=now + timedelta(seconds=limit.lock_seconds or limit.seconds))
                    )
            self._prune(conn, now)
        return counts

    def window(self, key: Key, now: datetime, handle: Any = None) -> Window:
        """The key's count in its window and, while locked, when the lock ends."""
        t = db.login_failures.c
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t.failures, t.window_start, t.locked_until).where(
                    t.kind == key.scope, t.key == key.value
                )
            ).first()
        if row is None:
            return Window(0)
        fresh = row.window_start > now - timedelta(seconds=self.window_seconds)
        count = (
            int(handle[key]) if handle is not None and key in handle else (int(row.failures) if fresh else 0)
        )
        if row.locked_until is not None and row.locked_until > now:
            return Window(max(count, key.limit.count), row.locked_until)
        return Window(min(count, key.limit.count - 1))

    def remove(self, handle: Any) -> None:
        """Take one failure back from each key :meth:`add` counted."""
        t = db.login_failures.c
        with self.engine.begin() as conn:
            for key in handle:
                conn.execute(
                    update(db.login_failures)
                    .where(t.kind == key.scope, t.key == key.value, t.failures > 0)
                    .values(failures=t.failures - 1)
                )

    def clear(self, key: Key) -> None:
        """Forget the key (a proven username)."""
        t = db.login_failures.c
        with self.engine.begin() as conn:
            conn.execute(delete(db.login_failures).where(t.kind == key.scope, t.key == key.value))

    def _bump(self, conn: Connection, key: Key, now: datetime) -> int:
        t = db.login_failures.c
        stale = t.window_start <= now - timedelta(seconds=self.window_seconds)
        where = and_(t.kind == key.scope, t.key == key.value)
        bump = (
            update(db.login_failures)
            .where(where)
            .values(
                failures=case((stale, 1), else_=t.failures + 1),
                window_start=case((stale, now), else_=t.window_start),
                updated_at=now,
            )
        )
        if not conn.execute(bump).rowcount:
            try:
                with conn.begin_nested():
                    conn.execute(
                        insert(db.login_failures).values(
                            kind=key.scope, key=key.value, failures=1, window_start=now, updated_at=now
                        )
                    )
                return 1
            except IntegrityError:  # another process inserted it first
                conn.execute(bump)
        return int(conn.execute(select(t.failures).where(where)).scalar_one())

    def _prune(self, conn: Connection, now: datetime) -> None:
        t = db.login_failures.c
        conn.execute(
            delete(db.login_failures).where(
                t.updated_at < now - timedelta(seconds=self.window_seconds),
                or_(t.locked_until.is_(None), t.locked_until <= now),
            )
        )


class LoginLimiter:
    """Failed-login limits per address and username; blocking (call from a thread in handlers)."""

    def __init__(self, engine: Engine, secret: str, limits: LoginLimits | None = None) -> None:
        if not secret:
            raise ValueError("LoginLimiter needs CONSOLE_SECRET to key its rows")
        self.engine = engine
        self.limits = limits or LoginLimits()
        self._secret = secret.encode()
        self._limiter = AttemptLimiter(LoginFailureStore(engine, self.limits.window_seconds))

    def _key(self, kind: str, value: str) -> str:
        return hmac.new(self._secret, f"{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()

    def _limit(self, count: int) -> Limit:
        return Limit(count, self.limits.window_seconds, self.limits.lock_seconds)

    def _user(self, username: str) -> Key:
        name = username.strip().casefold()
        return Key(USERNAME, self._key(USERNAME, name), self._limit(self.limits.max_failures))

    def _keys(self, address: str, username: str) -> list[Key]:
        lim = self.limits
        address_key = Key(ADDRESS, self._key(ADDRESS, address), self._limit(lim.max_failures_per_address))
        return [address_key, self._user(username)]

    def retry_after(self, address: str, username: str, now: datetime | None = None) -> int:
        """Seconds until this address and username may try again; 0 when neither is locked.

        Raises the database's error when the counters can't be read (the login is refused).
        """
        now = naive_utc(now)
        status = self._limiter.status(self._keys(address, username), now)
        status.raise_if_unavailable()
        if status.retry_at is None:
            return 0
        return max(1, math.ceil((status.retry_at - now).total_seconds()))

    def failed(self, address: str, username: str, now: datetime | None = None) -> int:
        """Count one failure for both keys; returns the lock in seconds it caused (0: none)."""
        decision = self._limiter.attempt(self._keys(address, username), naive_utc(now))
        decision.raise_if_unavailable()
        return self.limits.lock_seconds if not decision.allowed or decision.left == 0 else 0

    def succeeded(self, username: str) -> None:
        """A right password clears its username's failures, never its address's."""
        self._limiter.clear(self._user(username))
