"""Rate limits for order lookups, per conversation and per client source.

The identity service already locks a conversation after repeated *failed* checks; these
limits also bound how fast anyone can try order numbers at all, including a client that
opens a fresh conversation for every guess. Fixed windows: cheap, and shared between
action servers through Redis when ``SHOP_RATE_LIMIT_REDIS_URL`` is set (in memory otherwise).
When the store can't be reached the lookup is refused (:attr:`Verdict.UNAVAILABLE`): a
limit that lets everything through while Redis is down is no limit.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any, Dict, Optional, Protocol, Tuple

logger = logging.getLogger(__name__)


class Verdict(enum.Enum):
    ALLOWED = "allowed"
    LIMITED = "limited"  # over a limit: try again later
    UNAVAILABLE = "unavailable"  # the counter store is down: refused, try again later


@dataclass(frozen=True)
class Limit:
    """At most ``count`` hits per ``seconds``; ``count <= 0`` means unlimited."""

    count: int
    seconds: int = 60

    @property
    def enabled(self) -> bool:
        return self.count > 0


class Counter(Protocol):
    def incr(self, key: str, window_seconds: int, now: float) -> int:
        """Add one hit to ``key``'s current window and return the window's count."""


class MemoryCounter:
    """Per-process counters (one action server, or tests)."""

    def __init__(self) -> None:
        self._counts: Dict[Tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def incr(self, key: str, window_seconds: int, now: float) -> int:
        window = int(now // window_seconds)
        with self._lock:
            if len(self._counts) > 10_000:  # forget finished windows
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= window}
            count = self._counts.get((key, window), 0) + 1
            self._counts[(key, window)] = count
            return count


class RedisCounter:
    """Counters shared by all action servers: INCR + EXPIRE on a key per window."""

    def __init__(self, client: Any, prefix: str = "shop:ratelimit") -> None:
        self._client = client
        self._prefix = prefix

    @classmethod
    def from_url(cls, url: str) -> RedisCounter:
        import redis  # type: ignore[import-untyped]

        return cls(redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2))

    def incr(self, key: str, window_seconds: int, now: float) -> int:
        window = int(now // window_seconds)
        name = f"{self._prefix}:{key}:{window}"
        pipe = self._client.pipeline()
        pipe.incr(name)
        pipe.expire(name, window_seconds * 2)
        count, _ = pipe.execute()
        return int(count)


def _hashed(value: str) -> str:
    """Keys never hold a shopper's address or conversation id in clear."""
    return hashlib.sha256(value.encode()).hexdigest()[:24]


class LookupRateLimiter:
    """Allows an order lookup unless its conversation or its source is over the limit."""

    def __init__(
        self,
        counter: Counter,
        per_conversation: Limit = Limit(10, 60),
        per_source: Limit = Limit(60, 60),
    ) -> None:
        self.counter = counter
        self.per_conversation = per_conversation
        self.per_source = per_source

    def check(
        self, conversation_id: str, source: Optional[str] = None, now: Optional[float] = None
    ) -> Verdict:
        """Count one lookup and say whether it may go ahead. Both counters always advance.

        If the counter store is down the lookup is refused (fail closed).
        """
        try:
            allowed = self._allow(conversation_id, source, time.time() if now is None else now)
        except Exception as exc:  # noqa: BLE001 - any store failure: fail closed, loudly
            logger.warning("event=rate_limit_store_unavailable error=%s", type(exc).__name__)
            return Verdict.UNAVAILABLE
        return Verdict.ALLOWED if allowed else Verdict.LIMITED

    def allow(self, conversation_id: str, source: Optional[str] = None, now: Optional[float] = None) -> bool:
        """True only when :meth:`check` allows the lookup (False over a limit or store down)."""
        return self.check(conversation_id, source, now) is Verdict.ALLOWED

    def _allow(self, conversation_id: str, source: Optional[str], now: float) -> bool:
        allowed = True
        if self.per_conversation.enabled:
            count = self.counter.incr(f"c:{_hashed(conversation_id)}", self.per_conversation.seconds, now)
            allowed = count <= self.per_conversation.count
        if source and self.per_source.enabled:
            count = self.counter.incr(f"s:{_hashed(source)}", self.per_source.seconds, now)
            allowed = allowed and count <= self.per_source.count
        return allowed

    @classmethod
    def from_env(cls) -> LookupRateLimiter:
        """``SHOP_LOOKUP_RATE_PER_CONVERSATION`` (10), ``SHOP_LOOKUP_RATE_PER_SOURCE`` (60) per
        ``SHOP_LOOKUP_RATE_WINDOW_SECONDS`` (60); ``0`` disables one. Redis when
        ``SHOP_RATE_LIMIT_REDIS_URL`` is set."""
        window = _int("SHOP_LOOKUP_RATE_WINDOW_SECONDS", 60)
        url = os.environ.get("SHOP_RATE_LIMIT_REDIS_URL", "").strip()
        counter: Counter = RedisCounter.from_url(url) if url else MemoryCounter()
        return cls(
            counter,
            Limit(_int("SHOP_LOOKUP_RATE_PER_CONVERSATION", 10), window),
            Limit(_int("SHOP_LOOKUP_RATE_PER_SOURCE", 60), window),
        )


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default
