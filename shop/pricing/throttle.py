"""Brute-force guard for coupon codes, per conversation (Rasa's ``sender_id``).

A *failed* check is a code answered ``unknown_code`` (a miss: the typical guess). Other
refusals (expired, spend $12.30 more) are not counted: they follow a code that exists, and
an honest shopper meets them while adjusting the cart. After ``max_failures`` misses within
``window`` the conversation is told to wait until the oldest counted miss leaves the window
(a sliding window), and no code is checked meanwhile.

Misses are rows in ``coupon_attempts`` (migration ``0003_coupon_attempts``) counted by the
one attempt-window limiter (:class:`shop.ratelimit.AttemptLimiter`), so the limit holds
across action-server processes and restarts. Rows hold no code and no customer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Optional

from sqlalchemy.orm import sessionmaker

from shop import settings as shop_settings
from shop.db.pricing_models import CouponAttempt
from shop.pricing.engine import naive_utc
from shop.pricing.model import Rejection
from shop.pricing.rejections import Reason
from shop.ratelimit import AttemptLimiter, Key, Limit, SqlAttemptLog

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
        """Misses left before the conversation must wait."""
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
        st = shop_settings.load() if max_failures is None or window is None else None
        self.max_failures = max_failures if max_failures is not None else st.code_max_failures  # type: ignore[union-attr]
        self.window = window or timedelta(minutes=st.code_window_minutes)  # type: ignore[union-attr]
        if self.max_failures < 1:
            raise ValueError("max_failures must be at least 1")
        self._log = SqlAttemptLog(sessions, CouponAttempt, {"sender": "sender_id"}, time="attempted_at")
        self._limiter = AttemptLimiter(self._log)

    def _key(self, sender_id: str) -> Key:
        return Key("sender", sender_id, Limit(self.max_failures, int(self.window.total_seconds())))

    def check(self, sender_id: str, now: datetime) -> ThrottleStatus:
        """May this conversation have a code checked now? Writes nothing.

        Raises the database's error when the misses can't be read (callers refuse).
        """
        status = self._limiter.status([self._key(sender_id)], naive_utc(now))
        status.raise_if_unavailable()
        left = self.max_failures if status.left is None else status.left
        return ThrottleStatus(status.allowed, self.max_failures - left, self.max_failures, status.retry_at)

    def record(self, sender_id: str, rejections: Iterable[Rejection], now: datetime) -> ThrottleStatus:
        """Count the misses among ``rejections``; returns the status for the next check."""
        missed = [r for r in rejections if r.reason in COUNTED_REASONS]
        return self.record_failures(sender_id, len(missed), now)

    def record_failures(self, sender_id: str, count: int, now: datetime) -> ThrottleStatus:
        """Record ``count`` misses; the conversation's rows older than the window go.

        Misses are recorded after the codes were checked: a conversation's turns run one at a
        time (Rasa's lock store), so its checks never race each other.
        """
        now = naive_utc(now)
        key = self._key(sender_id)
        for _ in range(max(count, 0)):
            self._log.add([key], now, {"reason": Reason.UNKNOWN_CODE.value})
        if count > 0:
            self._log.prune(now - self.window, key)
        return self.check(sender_id, now)

    def reset(self, sender_id: str) -> None:
        """Forget a conversation's misses (e.g. after an agent vouches for the shopper)."""
        self._limiter.clear(self._key(sender_id))

    def prune(self, now: datetime) -> int:
        """Delete every row older than the window; returns how many."""
        return self._log.prune(naive_utc(now) - self.window)


__all__ = ["COUNTED_REASONS", "TOO_MANY_ATTEMPTS", "CodeAttemptThrottle", "ThrottleStatus"]
