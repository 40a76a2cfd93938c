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
* Rows whose window and lock are both over are deleted on every failure, so the table holds at
  most the keys that failed in the last window: per address at most ``max_failures_per_address``
  usernames, however many an attacker invents.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from console import db
from console.auth import utcnow

__all__ = ["LoginLimits", "LoginLimiter"]

ADDRESS = "addr"
USERNAME = "user"


@dataclass(frozen=True)
class LoginLimits:
    """How many failures lock a username or an address, and for how long."""

    max_failures: int = 5
    max_failures_per_address: int = 20
    window_seconds: int = 900
    lock_seconds: int = 900


class LoginLimiter:
    """Blocking (call from a thread in handlers)."""

    def __init__(self, engine: Engine, secret: str, limits: LoginLimits | None = None) -> None:
        if not secret:
            raise ValueError("LoginLimiter needs CONSOLE_SECRET to key its rows")
        self.engine = engine
        self.limits = limits or LoginLimits()
        self._secret = secret.encode()

    def _key(self, kind: str, value: str) -> str:
        return hmac.new(self._secret, f"{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()

    def _keys(self, address: str, username: str) -> list[tuple[str, str, int]]:
        lim = self.limits
        return [
            (ADDRESS, self._key(ADDRESS, address), lim.max_failures_per_address),
            (USERNAME, self._key(USERNAME, username.strip().casefold()), lim.max_failures),
        ]

    def retry_after(self, address: str, username: str, now: datetime | None = None) -> int:
        """Seconds until this address and username may try again; 0 when neither is locked."""
        now = now or utcnow()
        t = db.login_failures.c
        wanted = [and_(t.kind == kind, t.key == key) for kind, key, _ in self._keys(address, username)]
        with self.engine.connect() as conn:
            until = conn.execute(select(t.locked_until).where(or_(*wanted), t.locked_until > now)).scalars()
            latest = max(until, default=None)
        return 0 if latest is None else max(1, math.ceil((latest - now).total_seconds()))

    def failed(self, address: str, username: str, now: datetime | None = None) -> int:
        """Count one failure for both keys; returns the lock in seconds it caused (0: none)."""
        now = now or utcnow()
        lim = self.limits
        locked = 0
        with self.engine.begin() as conn:
            for kind, key, limit in self._keys(address, username):
                count = self._bump(conn, kind, key, now)
                if limit > 0 and count >= limit:
                    until = now + timedelta(seconds=lim.lock_seconds)
                    t = db.login_failures.c
                    conn.execute(
                        update(db.login_failures)
                        .where(t.kind == kind, t.key == key)
                        .values(locked_until=until)
                    )
                    locked = lim.lock_seconds
            self._prune(conn, now)
        return locked

    def succeeded(self, username: str) -> None:
        t = db.login_failures.c
        with self.engine.begin() as conn:
            conn.execute(
                delete(db.login_failures).where(
                    t.kind == USERNAME, t.key == self._key(USERNAME, username.strip().casefold())
                )
            )

    def _bump(self, conn: Connection, kind: str, key: str, now: datetime) -> int:
        t = db.login_failures.c
        stale = t.window_start <= now - timedelta(seconds=self.limits.window_seconds)
        where = and_(t.kind == kind, t.key == key)
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
                            kind=kind, key=key, failures=1, window_start=now, updated_at=now
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
                t.updated_at < now - timedelta(seconds=self.limits.window_seconds),
                or_(t.locked_until.is_(None), t.locked_until <= now),
            )
        )
