"""Accounts, roles, sessions, CSRF tokens and the audit log.

Passwords are argon2id hashes (argon2-cffi defaults). A session is a random token in an
HttpOnly cookie; the DB stores only its HMAC-SHA256 under CONSOLE_SECRET, with an expiry and
the session's CSRF token. Nothing is signed into the cookie itself; the secret makes a copy of
the sessions table useless without it, and rotating it ends every session at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine

from console import db
from shop.clock import naive_utc

ROLES = ("admin", "annotator", "agent")

#: What each role may do. Routes name one permission each (see ``console.app.ROUTES``).
PERMISSIONS: dict[str, frozenset[str]] = {
    "conversations.view": frozenset({"admin", "annotator", "agent"}),
    "conversations.annotate": frozenset({"admin", "annotator"}),
    "nlu.review": frozenset({"admin", "annotator"}),
    "nlu.export": frozenset({"admin", "annotator"}),
    "stories.save": frozenset({"admin", "annotator"}),
    "handoff.work": frozenset({"admin", "agent"}),
    "analytics.view": frozenset({"admin", "annotator"}),
    "ingest.run": frozenset({"admin"}),
    "users.manage": frozenset({"admin"}),
    "audit.view": frozenset({"admin"}),
    #: shoppers' email addresses shown in clear (everyone else sees them masked)
    "emails.clear": frozenset({"admin"}),
}

_hasher = PasswordHasher()
#: verified against when the username is unknown, so timing does not reveal which names exist
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AuthError(Exception):
    """Login refused."""


class UserExists(ValueError):
    """That username is taken."""


@dataclass(frozen=True)
class User:
    """A console user as a request sees it: who, and the role that decides what they may do."""

    id: int
    username: str
    display_name: str
    role: str

    def can(self, permission: str) -> bool:
        """Whether this user's role grants ``permission`` (see ``PERMISSIONS``)."""
        return self.role in PERMISSIONS.get(permission, frozenset())


@dataclass(frozen=True)
class Session:
    """A logged-in browser: its user, the CSRF token its forms carry, and when it ends."""

    user: User
    csrf_token: str
    expires_at: datetime


def utcnow() -> datetime:
    """Now as naive UTC, as the console's tables store times (``shop.clock.naive_utc``)."""
    return naive_utc()


class Accounts:
    """Users and sessions in the console DB (blocking; call from a thread in handlers).

    ``secret`` (CONSOLE_SECRET) is needed only to open or read sessions; managing users
    (``create_admin``) works without it.
    """

    def __init__(self, engine: Engine, session_hours: float = 8.0, secret: str = "") -> None:
        self.engine = engine
        self.session_ttl = timedelta(hours=session_hours)
        self._secret = secret.encode()

    def _token_hash(self, token: str) -> str:
        if not self._secret:
            raise RuntimeError("sessions need CONSOLE_SECRET")
        return hmac.new(self._secret, token.encode(), hashlib.sha256).hexdigest()

    def create_user(self, username: str, password: str, role: str, display_name: str | None = None) -> User:
        """Add a user with an Argon2 password hash (``UserExists`` if the name is taken)."""
        username = username.strip()
        if not username or len(username) > 100:
            raise ValueError("username must be 1-100 characters")
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if len(password) < 10:
            raise ValueError("password must be at least 10 characters")
        with self.engine.begin() as conn:
            if conn.execute(select(db.users.c.id).where(db.users.c.username == username)).first():
                raise UserExists(username)
            user_id = conn.execute(
                insert(db.users).values(
                    username=username,
                    display_name=(display_name or username).strip()[:100],
                    password_hash=_hasher.hash(password),
                    role=role,
                    active=True,
                    created_at=utcnow(),
                )
            ).inserted_primary_key[0]
        return User(int(user_id), username, display_name or username, role)

    def set_password(self, username: str, password: str) -> None:
        """Replace a user's password (at least 10 characters)."""
        if len(password) < 10:
            raise ValueError("password must be at least 10 characters")
        with self.engine.begin() as conn:
            conn.execute(
                update(db.users)
                .where(db.users.c.username == username)
                .values(password_hash=_hasher.hash(password))
            )

    def list_users(self) -> list[dict[str, Any]]:
        """Every user for the admin page, without password hashes."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(db.users.c.id, db.users.c.username, db.users.c.role, db.users.c.active).order_by(
                    db.users.c.username
                )
            )
            return [dict(r._mapping) for r in rows]

    def set_active(self, user_id: int, active: bool) -> None:
        """Enable or disable a user; a disabled user's sessions stop working."""
        with self.engine.begin() as conn:
            conn.execute(update(db.users).where(db.users.c.id == user_id).values(active=active))
            if not active:
                conn.execute(delete(db.sessions).where(db.sessions.c.user_id == user_id))

    def login(self, username: str, password: str) -> tuple[str, Session]:
        """Check the password and open a session; returns (cookie token, session)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(db.users).where(db.users.c.username == username.strip())).first()
        try:
            _hasher.verify(row.password_hash if row is not None else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            raise AuthError("wrong username or password") from None
        if row is None or not row.active:
            raise AuthError("wrong username or password")
        if _hasher.check_needs_rehash(row.password_hash):
            self.set_password(row.username, password)
        token = secrets.token_urlsafe(32)
        now = utcnow()
        session = Session(
            User(row.id, row.username, row.display_name, row.role),
            secrets.token_urlsafe(32),
            now + self.session_ttl,
        )
        with self.engine.begin() as conn:
            conn.execute(delete(db.sessions).where(db.sessions.c.expires_at < now))
            conn.execute(
                insert(db.sessions).values(
                    token_hash=self._token_hash(token),
                    user_id=row.id,
                    csrf_token=session.csrf_token,
                    created_at=now,
                    expires_at=session.expires_at,
                )
            )
        return token, session

    def session(self, token: str | None) -> Session | None:
        """The live session for a cookie token, or None (unknown, expired, user disabled)."""
        if not token:
            return None
        s, u = db.sessions.c, db.users.c
        with self.engine.connect() as conn:
            row = conn.execute(
                select(s.csrf_token, s.expires_at, u.id, u.username, u.display_name, u.role, u.active)
                .join_from(db.sessions, db.users, s.user_id == u.id)
                .where(s.token_hash == self._token_hash(token))
            ).first()
        if row is None or not row.active or row.expires_at <= utcnow():
            return None
        return Session(User(row.id, row.username, row.display_name, row.role), row.csrf_token, row.expires_at)

    def logout(self, token: str | None) -> None:
        """End the session behind ``token`` (nothing happens for an unknown one)."""
        if token:
            with self.engine.begin() as conn:
                conn.execute(delete(db.sessions).where(db.sessions.c.token_hash == self._token_hash(token)))


def csrf_ok(expected: str | None, given: str | None) -> bool:
    """Constant-time check that a form's CSRF token is the session's."""
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


def audit(
    engine: Engine,
    username: str | None,
    action: str,
    target: str = "",
    outcome: str = "ok",
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
) -> None:
    """Append one line to the audit log."""
    with engine.begin() as conn:
        conn.execute(
            insert(db.audit_log).values(
                at=utcnow(),
                username=username,
                action=action[:60],
                target=str(target)[:300],
                outcome=outcome[:20],
                detail=json.dumps(detail or {}, default=str, sort_keys=True),
                ip=(ip or "")[:64],
            )
        )
