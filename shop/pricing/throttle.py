"""Brute-force guard for coupon codes, per conversation (Rasa's ``sender_id``).

A *failed* check is a code answered ``unknown_code`` (a miss: the typical guess). Other
refusals (expired, spend $12.30 more) are not counted: they follow a code that exists, and
an honest shopper meets them while adjusting the cart. After ``max_failures`` misses within
``window`` the conversation is told to wait until the oldest counted miss leaves the window
(a sliding window), and no code is checked meanwhile.

Misses are rows in ``coupon_attempts`` (migration ``0003_coupon_attempts``), so the limit
holds across action-server processes and restarts. Rows hold no code and no customer.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Optional

from sqlalchemy import delete, select
from sqlalchemy.orm import sessionmaker

from shop.db.pricing_models import CouponAttempt
from shop.pricing.engine import naive_utc
from shop.pricing.model import Rejection
from shop.pricing.rejections import Reason

#: The reason code of a throttled check; not in ``Reason`` because no code was checked.
TOO_MANY_ATTEMPTS = "too_many_attempts"
#: Which refusals count as failed checks.
COUNTED_REASONS = frozenset({Reason.UNKNOWN_CODE.value})


@dataclass(frozen=True)
class ThrottleStatus:
    """``allowed`` or not, with what the assistant says when not."""

    allowed: bool
    failures: int
    limit: int
    retry_at: Optional[datetime] = None

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.failures)

    def wait_minutes(self, now: datetime) -> int:
        """Whole minutes to wait, rounded up (at least 1 while blocked)."""
        if self.retry_at is None:
            return 0
        seconds = (self.retry_at - naive_utc(now)).total_seconds()
        return max(1, math.ceil(seconds / 60))

    def rejection(self, now: datetime) -> Optional[Rejection]:
        """``too_many_attempts`` with ``retry_after_minutes`` and ``retry_at``, or None."""
        if self.allowed or self.retry_at is None:
            return None
        minutes = self.wait_minutes(now)
        unit = "minute" if minutes == 1 else "minutes"
        return Rejection(
            code="",
            reason=TOO_MANY_ATTEMPTS,
            params={"retry_after_minutes": minutes, "retry_at": self.retry_at.isoformat()},
            message=(
                f"That's too many codes that didn't work. Please wait {minutes} {unit} "
                "before trying another one."
            ),
        )


class CodeAttemptThrottle:
    """At most ``max_failures`` missed codes per ``window`` per conversation.

    Use: ``check`` before checking codes (refuse with ``status.rejection(now)`` when not
    allowed), then ``record`` the quote's rejections.
    """

    def __init__(
        self,
        sessions: sessionmaker,
        max_failures: Optional[int] = None,
        window: Optional[timedelta] = None,
    ) -> None:
        self._sessions = sessions
        self.max_failures = (
            max_failures if max_failures is not None else _env_int("SHOP_CODE_MAX_FAILURES", 5)
        )
        self.window = window or timedelta(minutes=_env_int("SHOP_CODE_WINDOW_MINUTES", 15))
        if self.max_failures < 1:
            raise ValueError("max_failures must be at least 1")

    def check(self, sender_id: str, now: datetime) -> ThrottleStatus:
        """May this conversation have a code checked now? Writes nothing."""
        now = naive_utc(now)
        with self._sessions() as s:
            times = s.scalars(
                select(CouponAttempt.attempted_at)
                .where(CouponAttempt.sender_id == sender_id, CouponAttempt.attempted_at > now - self.window)
                .order_by(CouponAttempt.attempted_at.desc())
                .limit(self.max_failures)
            ).all()
        return self._status(list(times))

    def record(self, sender_id: str, rejections: Iterable[Rejection], now: datetime) -> ThrottleStatus:
        """Count the misses among ``rejections``; returns the status for the next check."""
        missed = [r for r in rejections if r.reason in COUNTED_REASONS]
        return self.record_failures(sender_id, len(missed), now)

    def record_failures(self, sender_id: str, count: int, now: datetime) -> ThrottleStatus:
        now = naive_utc(now)
        with self._sessions.begin() as s:
            if count > 0:
                s.add_all(
                    CouponAttempt(sender_id=sender_id, attempted_at=now, reason=Reason.UNKNOWN_CODE.value)
                    for _ in range(count)
                )
                # Old rows of this conversation are no longer needed.
                s.execute(
                    delete(CouponAttempt)
                    .where(
                        CouponAttempt.sender_id == sender_id, CouponAttempt.attempted_at <= now - self.window
                    )
                    .execution_options(synchronize_session=False)
                )
        return self.check(sender_id, now)

    def reset(self, sender_id: str) -> None:
        """Forget a conversation's misses (e.g. after an agent vouches for the shopper)."""
        with self._sessions.begin() as s:
            s.execute(delete(CouponAttempt).where(CouponAttempt.sender_id == sender_id))

    def prune(self, now: datetime) -> int:
        """Delete every row older than the window; returns how many."""
        now = naive_utc(now)
        with self._sessions.begin() as s:
            result = s.execute(delete(CouponAttempt).where(CouponAttempt.attempted_at <= now - self.window))
            return int(result.rowcount or 0)

    def _status(self, newest_first: list[datetime]) -> ThrottleStatus:
        failures = len(newest_first)
        if failures < self.max_failures:
            return ThrottleStatus(True, failures, self.max_failures)
        # Allowed again once the oldest of the last ``max_failures`` misses leaves the window.
        return ThrottleStatus(False, failures, self.max_failures, retry_at=newest_first[-1] + self.window)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


__all__ = ["COUNTED_REASONS", "TOO_MANY_ATTEMPTS", "CodeAttemptThrottle", "ThrottleStatus"]
