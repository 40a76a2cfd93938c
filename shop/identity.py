"""Checking that a shopper may see an order: order number + the email it was placed with.

Every check is recorded in ``lookup_attempts``; too many failures from one conversation
within the lock window lock it out. A wrong email and an unknown order look identical
to the caller, so the check can't be used to discover which order numbers exist.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from shop.config import Settings
from shop.db.models import Customer, LookupAttempt, Order
from shop.orders import utc_naive
from shop.text import normalize_email, normalize_order_number

log = logging.getLogger(__name__)

MAX_SENDER_CHARS = 255


@dataclass(frozen=True)
class Verification:
    ok: bool
    customer_id: int | None
    locked_until: datetime | None
    failures_left: int


def _sender(sender_id: str | None) -> str | None:
    if not isinstance(sender_id, str) or not sender_id.strip():
        return None
    return sender_id.strip()[:MAX_SENDER_CHARS]


class IdentityService:
    def __init__(self, sessionmaker: sessionmaker, settings: Settings | None = None) -> None:
        self._sessions = sessionmaker
        self._settings = settings or Settings.from_env()

    @property
    def _window(self) -> timedelta:
        return timedelta(minutes=self._settings.lookup_lock_minutes)

    def _recent_failures(self, s: Session, sender: str, now: datetime) -> list[datetime]:
        """Failure times inside the lock window, newest first."""
        return list(
            s.scalars(
                select(LookupAttempt.created_at)
                .where(
                    LookupAttempt.sender_id == sender,
                    LookupAttempt.succeeded.is_(False),
                    LookupAttempt.created_at > now - self._window,
                    LookupAttempt.created_at <= now,
                )
                .order_by(LookupAttempt.created_at.desc())
                .limit(self._settings.lookup_max_failures)
            )
        )

    def _locked_until(self, failures: list[datetime]) -> datetime | None:
        limit = self._settings.lookup_max_failures
        if len(failures) < limit:
            return None
        # Locked until the oldest of the last `limit` failures leaves the window.
        return failures[limit - 1] + self._window

    def locked_until(self, sender_id: str, now: datetime | None = None) -> datetime | None:
        """When the conversation may try again, or None if it isn't locked."""
        sender = _sender(sender_id)
        if sender is None:
            return None
        now = utc_naive(now)
        with self._sessions.begin() as s:
            return self._locked_until(self._recent_failures(s, sender, now))

    def verify(
        self, sender_id: str, order_number: str, email: str, now: datetime | None = None
    ) -> Verification:
        """ok only if the order exists and was placed with ``email`` (case-insensitive).

        Malformed input (not six digits, not an email) is refused without being recorded:
        the form re-asks, it is not a guess. A locked conversation is refused without a check.
        """
        now = utc_naive(now)
        limit = self._settings.lookup_max_failures
        sender = _sender(sender_id)
        number = normalize_order_number(order_number)
        address = normalize_email(email)
        with self._sessions.begin() as s:
            failures = self._recent_failures(s, sender, now) if sender else []
            locked = self._locked_until(failures)
            if locked is not None:
                return Verification(False, None, locked, 0)
            if sender is None or number is None or address is None:
                return Verification(False, None, None, limit - len(failures))
            row = s.execute(
                select(Customer.id, Customer.email)
                .join(Order, Order.customer_id == Customer.id)
                .where(Order.order_number == number)
            ).first()
            ok = row is not None and row.email.lower() == address
            s.execute(insert(LookupAttempt).values(sender_id=sender, created_at=now, succeeded=ok))
            if ok:
                assert row is not None
                return Verification(True, int(row.id), None, limit - len(failures))
            failures = [now, *failures][:limit]
            log.info("order lookup failed", extra={"sender_id": sender, "failures": len(failures)})
            return Verification(False, None, self._locked_until(failures), limit - len(failures))

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
