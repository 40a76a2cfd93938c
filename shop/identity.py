"""Checking that a shopper may see an order: order number + the email it was placed with.

Every check is recorded in ``lookup_attempts``. A failed check counts against four keys:

* its conversation (``sender_id``),
* its order number, across all senders and channels,
* its email, across all senders and channels,
* its client address (the channel's ``source``), across all senders,

each with its own limit inside one window (:class:`shop.config.Settings`). Any key at its
limit locks every check that involves it until its oldest counted failure leaves the
window, so rotating sender ids, channels or order numbers gives no extra guesses. Order
numbers, emails and addresses are stored only as keyed hashes (:func:`lookup_key`).

A wrong email and an unknown order look identical to the caller, and unknown order numbers
are counted exactly like real ones, so neither an answer nor a lock tells whether an order
exists. Concurrent checks are bounded too: an attempt is recorded *before* it is checked,
and it goes ahead only if it is within every key's limit counting the attempts recorded
before it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from shop.clock import naive_utc as utc_naive
from shop.config import Settings
from shop.db.models import Customer, LookupAttempt, Order
from shop.text import normalize_email, normalize_order_number

__all__ = [
    "MAX_SENDER_CHARS",
    "IdentityService",
    "Verification",
    "lookup_key",
    "source_counted",
    "source_key",
]

log = logging.getLogger(__name__)

MAX_SENDER_CHARS = 255
MAX_SOURCE_CHARS = 255
KEY_CHARS = 40
# The hashing key is derived from this secret (any action server of the install holds it).
KEY_SECRET_ENV = "SHOP_IDENTITY_SECRET"
_KEY_LABEL = b"shop.identity lookup keys v1\0"


@dataclass(frozen=True)
class Verification:
    ok: bool
    customer_id: int | None
    locked_until: datetime | None
    failures_left: int


def lookup_key(kind: str, value: str, secret: str | None = None) -> str:
    """A keyed hash (HMAC-SHA256) of ``kind:value``: what ``lookup_attempts`` stores.

    Keyed with a key derived from ``secret`` (default ``SHOP_IDENTITY_SECRET``), so the
    table can't be reversed by hashing every six-digit number or a list of emails.
    Rotating the secret only makes earlier failures stop counting.
    """
    if secret is None:
        secret = os.environ.get(KEY_SECRET_ENV, "").strip()
    key = hashlib.sha256(_KEY_LABEL + secret.encode()).digest()
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:KEY_CHARS]


def _sender(sender_id: str | None) -> str | None:
    if not isinstance(sender_id, str) or not sender_id.strip():
        return None
    return sender_id.strip()[:MAX_SENDER_CHARS]


def _source(source: str | None) -> str | None:
    if not isinstance(source, str) or not source.strip():
        return None
    return source.strip()[:MAX_SOURCE_CHARS]


def source_counted(source: str | None, settings: Settings) -> bool:
    """Whether limits count per this client address: not for none or an exempt one.

    An exempt entry matches the source as the channel wrote it, with or without a
    ``rest:`` / ``socketio:`` prefix (``SHOP_LOOKUP_EXEMPT_SOURCES``).
    """
    source = _source(source)
    if source is None:
        return False
    for exempt in settings.lookup_exempt_sources:
        if source == exempt or source in (f"rest:{exempt}", f"socketio:{exempt}"):
            return False
    return True


def source_key(source: str | None, settings: Settings, secret: str | None = None) -> str | None:
    """The keyed hash a counted client address is stored as, or None when it isn't counted."""
    if not source_counted(source, settings):
        return None
    assert source is not None
    return lookup_key("source", source.strip()[:MAX_SOURCE_CHARS], secret)


@dataclass(frozen=True)
class _Key:
    """One counter: the rows whose ``column`` equals ``value``, at most ``limit`` failures."""

    column: Any
    value: str
    limit: int


class IdentityService:
    def __init__(
        self, sessionmaker: sessionmaker, settings: Settings | None = None, key_secret: str | None = None
    ) -> None:
        self._sessions = sessionmaker
        self._settings = settings or Settings.from_env()
        self._key_secret = key_secret

    @property
    def _window(self) -> timedelta:
        return timedelta(minutes=self._settings.lookup_lock_minutes)

    def _hash(self, kind: str, value: str) -> str:
        return lookup_key(kind, value, self._key_secret)

    def source_counted(self, source: str | None) -> bool:
        """False for no source and for the exempt ones (``SHOP_LOOKUP_EXEMPT_SOURCES``)."""
        return source_counted(source, self._settings)

    def _row_keys(
        self, sender: str | None, number: str | None, address: str | None, source: str | None
    ) -> dict[str, str | None]:
        """The column values recorded for one attempt."""
        return {
            "sender_id": sender,
            "order_key": self._hash("order", number) if number else None,
            "email_key": self._hash("email", address) if address else None,
            "source_key": source_key(source, self._settings, self._key_secret),
        }

    def _keys(self, row: dict[str, str | None]) -> list[_Key]:
        """The enabled counters among an attempt's column values."""
        st = self._settings
        limits = {
            "sender_id": (LookupAttempt.sender_id, st.lookup_max_failures),
            "order_key": (LookupAttempt.order_key, st.lookup_max_failures_per_order),
            "email_key": (LookupAttempt.email_key, st.lookup_max_failures_per_email),
            "source_key": (LookupAttempt.source_key, st.lookup_max_failures_per_source),
        }
        keys = []
        for name, (column, limit) in limits.items():
            value = row.get(name)
            if value and limit > 0:
                keys.append(_Key(column, value, limit))
        return keys

    def _failures(
        self, s: Session, key: _Key, now: datetime, up_to_id: int | None = None, exclude_id: int | None = None
    ) -> list[datetime]:
        """Failure times of ``key`` inside the window, newest first (at most ``limit + 1``)."""
        query = select(LookupAttempt.created_at).where(
            key.column == key.value,
            LookupAttempt.succeeded.is_(False),
            LookupAttempt.created_at > now - self._window,
            LookupAttempt.created_at <= now,
        )
        if up_to_id is not None:
            query = query.where(LookupAttempt.id <= up_to_id)
        if exclude_id is not None:
            query = query.where(LookupAttempt.id != exclude_id)
        return list(s.scalars(query.order_by(LookupAttempt.created_at.desc()).limit(key.limit + 1)))

    def _state(
        self, s: Session, keys: Iterable[_Key], now: datetime, exclude_id: int | None = None
    ) -> tuple[datetime | None, int]:
        """(locked until, failures left): the latest unlock and the fewest tries left over ``keys``."""
        locked: datetime | None = None
        left = self._settings.lookup_max_failures
        for key in keys:
            failures = self._failures(s, key, now, exclude_id=exclude_id)
            left = min(left, max(key.limit - len(failures), 0))
            if len(failures) >= key.limit:
                # Locked until the oldest of the last `limit` failures leaves the window.
                until = failures[key.limit - 1] + self._window
                locked = until if locked is None else max(locked, until)
        return locked, left

    def locked_until(
        self,
        sender_id: str | None,
        now: datetime | None = None,
        *,
        source: str | None = None,
        order_number: str | None = None,
        email: str | None = None,
    ) -> datetime | None:
        """When checks involving these keys may start again, or None if none of them is locked.

        Raises the database's error when the counters can't be read: callers refuse then.
        """
        row = self._row_keys(
            _sender(sender_id), normalize_order_number(order_number), normalize_email(email), _source(source)
        )
        keys = self._keys(row)
        if not keys:
            return None
        now = utc_naive(now)
        with self._sessions.begin() as s:
            return self._state(s, keys, now)[0]

    def verify(
        self,
        sender_id: str,
        order_number: str,
        email: str,
        now: datetime | None = None,
        *,
        source: str | None = None,
    ) -> Verification:
        """ok only if the order exists and was placed with ``email`` (case-insensitive).

        ``source`` is the client address the channel recorded for the message. Malformed
        input (not six digits, not an email) is refused without being recorded: the form
        re-asks, it is not a guess. A check involving a locked key is refused without a
        check and without a record, the right email included. Raises the database's error
        when the counters can't be read or written: callers refuse then (fail closed).
        """
        now = utc_naive(now)
        sender = _sender(sender_id)
        number = normalize_order_number(order_number)
        address = normalize_email(email)
        row = self._row_keys(sender, number, address, _source(source))
        keys = self._keys(row)
        with self._sessions.begin() as s:
            locked, left = self._state(s, keys, now)
        if locked is not None:
            return Verification(False, None, locked, 0)
        if sender is None or number is None or address is None:
            return Verification(False, None, None, left)

        # Record first (as a failure), then count what was recorded before it: of many
        # concurrent attempts on one key, only those within its limit are checked.
        with self._sessions.begin() as s:
            result = s.execute(insert(LookupAttempt).values(**row, created_at=now, succeeded=False))
            attempt_id = int(result.inserted_primary_key[0])
        with self._sessions.begin() as s:
            if any(len(self._failures(s, key, now, up_to_id=attempt_id)) > key.limit for key in keys):
                s.execute(delete(LookupAttempt).where(LookupAttempt.id == attempt_id))
                locked, _ = self._state(s, keys, now, exclude_id=attempt_id)
                log.info("order lookup refused: a concurrent attempt reached the limit")
                return Verification(False, None, locked or now + self._window, 0)
            found = s.execute(
                select(Customer.id, Customer.email)
                .join(Order, Order.customer_id == Customer.id)
                .where(Order.order_number == number)
            ).first()
            ok = found is not None and found.email.lower() == address
            if ok:
                assert found is not None
                s.execute(update(LookupAttempt).where(LookupAttempt.id == attempt_id).values(succeeded=True))
                _, left = self._state(s, keys, now)
                return Verification(True, int(found.id), None, left)
            locked, left = self._state(s, keys, now)
        log.info("order lookup failed", extra={"sender_id": sender, "failures_left": left})
        return Verification(False, None, locked, left)

    def customer_owns_order(self, customer_id: int, order_number: str) -> bool:
        """For signed-in shoppers: does this order belong to them?"""
        number = normalize_order_number(order_number)
        if number is None or not isinstance(customer_id, int):
            return False
        with self._sessions.begin() as s:
            found = s.scalar(
                select(func.count())
                .select_from(Order)
                .where(Order.order_number == number, Order.customer_id == customer_id)
            )
            return bool(found)
