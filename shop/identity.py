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
exists. Concurrent checks are bounded too: an attempt is recorded *before* it is checked
(``pending``), and it goes ahead only if it is within every key's limit counting the
failures and the checks in flight recorded before it. Locks count settled failures only:
an attempt held back by checks in flight waits for them (at most
:data:`IN_FLIGHT_WAIT_SECONDS`) instead of being told it failed, so many shoppers proving
the same order at once are all answered and parallel guesses still get no extra tries.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import sessionmaker

from shop import secrets
from shop.clock import naive_utc as utc_naive
from shop.config import Settings
from shop.db.models import Customer, LookupAttempt, Order
from shop.ratelimit import AttemptLimiter, Decision, Key, Limit, SqlAttemptLog
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
#: How long a check held back only by other checks in flight waits for them to settle.
IN_FLIGHT_WAIT_SECONDS = 2.0
_FIRST_WAIT_SECONDS = 0.005


@dataclass(frozen=True)
class Verification:
    """A check's outcome: ``ok`` with the customer, or refused with the lock and tries left."""

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
        secret = secrets.read(KEY_SECRET_ENV) or ""
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


#: Limiter scopes: the ``lookup_attempts`` column each key is stored in.
SCOPES = {"sender": "sender_id", "order": "order_key", "email": "email_key", "source": "source_key"}


#: The order's customer, for the check (built once, like the attempt log's statements).
_OWNER = (
    select(Customer.id, Customer.email)
    .join(Order, Order.customer_id == Customer.id)
    .where(Order.order_number == bindparam("number"))
)
#: Settles an attempt in flight.
_SETTLE = (
    update(LookupAttempt)
    .where(LookupAttempt.id == bindparam("attempt"))
    .values(succeeded=bindparam("ok"), pending=None)
)


class IdentityService:
    """Order number + email checks, bounded by :class:`shop.ratelimit.AttemptLimiter`.

    Attempts are rows of ``lookup_attempts``; only failures (``succeeded`` false) count.
    """

    def __init__(
        self, sessionmaker: sessionmaker, settings: Settings | None = None, key_secret: str | None = None
    ) -> None:
        self._sessions = sessionmaker
        self._settings = settings or Settings.from_env()
        self._key_secret = key_secret
        # The gate counts failures and checks in flight; locks count settled failures.
        failed = LookupAttempt.succeeded.is_(False)
        log = SqlAttemptLog(sessionmaker, LookupAttempt, SCOPES, counted=failed)
        self._limiter = AttemptLimiter(log)
        self._settled = AttemptLimiter(
            SqlAttemptLog(
                sessionmaker,
                LookupAttempt,
                SCOPES,
                counted=failed & LookupAttempt.pending.isnot(True),
            )
        )

    def _hash(self, kind: str, value: str) -> str:
        return lookup_key(kind, value, self._key_secret)

    def source_counted(self, source: str | None) -> bool:
        """False for no source and for the exempt ones (``SHOP_LOOKUP_EXEMPT_SOURCES``)."""
        return source_counted(source, self._settings)

    def _keys(
        self, sender: str | None, number: str | None, address: str | None, source: str | None
    ) -> list[Key]:
        """The limiter keys of one attempt: each present value under its own limit."""
        st = self._settings
        seconds = st.lookup_lock_minutes * 60
        values = {
            "sender": (sender, st.lookup_max_failures),
            "order": (self._hash("order", number) if number else None, st.lookup_max_failures_per_order),
            "email": (self._hash("email", address) if address else None, st.lookup_max_failures_per_email),
            "source": (source_key(source, st, self._key_secret), st.lookup_max_failures_per_source),
        }
        return [Key(scope, value, Limit(limit, seconds)) for scope, (value, limit) in values.items() if value]

    def _left(self, decision: Decision) -> int:
        """Tries left, at most the per-conversation limit (what the shopper is told)."""
        most = self._settings.lookup_max_failures
        return most if decision.left is None else min(decision.left, most)

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
        keys = self._keys(
            _sender(sender_id), normalize_order_number(order_number), normalize_email(email), _source(source)
        )
        if not keys:
            return None
        status = self._settled.status(keys, utc_naive(now))
        status.raise_if_unavailable()
        return status.retry_at

    def _gate(self, keys: list[Key], now: datetime, sender: str) -> Decision:
        """Record the attempt as in flight and let it through within every limit.

        Held back only by other checks in flight (settled failures are under every limit),
        it waits for them with a growing pause, up to :data:`IN_FLIGHT_WAIT_SECONDS`.
        """
        deadline = time.monotonic() + IN_FLIGHT_WAIT_SECONDS
        pause = _FIRST_WAIT_SECONDS
        while True:
            decision = self._limiter.attempt(
                keys, now, {"sender_id": sender, "succeeded": False, "pending": True}
            )
            decision.raise_if_unavailable()
            if decision.allowed or time.monotonic() + pause > deadline:
                return decision
            settled = self._settled.status(keys, now)
            settled.raise_if_unavailable()
            if not settled.allowed:
                return settled
            time.sleep(pause)
            pause = min(pause * 2, 0.2)

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
        keys = self._keys(sender, number, address, _source(source))
        if sender is None or number is None or address is None:
            status = self._settled.status(keys, now)
            status.raise_if_unavailable()
            return Verification(False, None, status.retry_at, self._left(status))

        # Recorded in flight first, then counted: of many concurrent attempts on one key
        # only those within its limit are checked (the limiter takes the others back).
        decision = self._gate(keys, now, sender)
        if not decision.allowed:
            log.info("order lookup refused: a key is at its limit")
            return Verification(False, None, decision.retry_at, 0)
        with self._sessions.begin() as s:
            found = s.execute(_OWNER, {"number": number}).first()
            ok = found is not None and found.email.lower() == address
            s.execute(_SETTLE, {"attempt": decision.handle, "ok": ok})
        after = self._settled.status(keys, now)
        after.raise_if_unavailable()
        if ok:
            assert found is not None
            return Verification(True, int(found.id), None, self._left(after))
        log.info("order lookup failed", extra={"sender_id": sender, "failures_left": self._left(after)})
        return Verification(False, None, after.retry_at, self._left(after))

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
