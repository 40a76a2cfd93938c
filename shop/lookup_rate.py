"""Per-minute order-lookup limits: fixed-window counters in memory or Redis.

The identity service counts only *failed* checks; these limits also bound how fast anyone can
try order numbers at all, including a client that opens a fresh conversation for every guess.
The policy is the one attempt-window limiter (:class:`shop.ratelimit.AttemptLimiter`) over a
:class:`CounterStore`; when Redis can't be reached the lookup is refused (fail closed).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from shop import settings as shop_settings
from shop.ratelimit import AttemptLimiter, Key, Limit, Verdict, Window

__all__ = ["Counter", "CounterStore", "LookupRateLimiter", "MemoryCounter", "RedisCounter", "hashed"]

_EPOCH = datetime(1970, 1, 1)


class Counter(Protocol):
    """A fixed-window counter per key name."""

    def incr(self, key: str, window_seconds: int, now: float, by: int = 1) -> int:
        """Add ``by`` to ``key``'s current window and return the window's count."""

    def get(self, key: str, window_seconds: int, now: float) -> int:
        """The count of ``key``'s current window."""


class MemoryCounter:
    """Per-process counters (one action server, or tests)."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def incr(self, key: str, window_seconds: int, now: float, by: int = 1) -> int:
        """Add ``by`` in memory; finished windows are forgotten past 10,000 keys."""
        window = int(now // window_seconds)
        with self._lock:
            if len(self._counts) > 10_000:
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= window}
            count = self._counts.get((key, window), 0) + by
            self._counts[(key, window)] = count
            return count

    def get(self, key: str, window_seconds: int, now: float) -> int:
        """The current window's count."""
        with self._lock:
            return self._counts.get((key, int(now // window_seconds)), 0)


class RedisCounter:
    """Counters shared by all action servers: INCRBY + EXPIRE on a key per window."""

    def __init__(self, client: Any, prefix: str = "shop:ratelimit") -> None:
        self._client = client
        self._prefix = prefix

    @classmethod
    def from_url(cls, url: str) -> RedisCounter:
        """A counter on the Redis at ``url`` with 2-second timeouts (a hung Redis refuses fast)."""
        import redis  # type: ignore[import-untyped]

        return cls(redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2))

    def _name(self, key: str, window_seconds: int, now: float) -> str:
        return f"{self._prefix}:{key}:{int(now // window_seconds)}"

    def incr(self, key: str, window_seconds: int, now: float, by: int = 1) -> int:
        """One round trip: INCRBY and EXPIRE (two windows) in a pipeline."""
        name = self._name(key, window_seconds, now)
        pipe = self._client.pipeline()
        pipe.incrby(name, by)
        pipe.expire(name, window_seconds * 2)
        count, _ = pipe.execute()
        return int(count)

    def get(self, key: str, window_seconds: int, now: float) -> int:
        """The current window's count (0 when absent)."""
        return int(self._client.get(self._name(key, window_seconds, now)) or 0)


class CounterStore:
    """An :class:`AttemptStore` over fixed-window counters (memory or Redis)."""

    def __init__(self, counter: Counter) -> None:
        self.counter = counter

    @staticmethod
    def _name(key: Key) -> str:
        return f"{key.scope}:{key.value}"

    def add(self, keys: Sequence[Key], now: datetime, values: Mapping[str, Any]) -> Any:
        """Increment each enabled key; the handle holds the counts and the clock."""
        t = (now - _EPOCH).total_seconds()
        counts = {k: self.counter.incr(self._name(k), k.limit.seconds, t) for k in keys if k.limit.enabled}
        return (t, counts)

    def window(self, key: Key, now: datetime, handle: Any = None) -> Window:
        """The count at ``handle`` (or now); a full window frees up when it ends."""
        t = (now - _EPOCH).total_seconds()
        if handle is not None and key in handle[1]:
            count = handle[1][key]
        else:
            count = self.counter.get(self._name(key), key.limit.seconds, t)
        if count < key.limit.count:
            return Window(count)
        seconds = key.limit.seconds
        return Window(count, _EPOCH + timedelta(seconds=(int(t // seconds) + 1) * seconds))

    def remove(self, handle: Any) -> None:
        """Decrement what :meth:`add` incremented."""
        t, counts = handle
        for key in counts:
            self.counter.incr(self._name(key), key.limit.seconds, t, by=-1)

    def clear(self, key: Key) -> None:
        """Not needed for fixed windows: they expire by themselves."""


def hashed(value: str) -> str:
    """Keys never hold a shopper's address or conversation id in clear."""
    return hashlib.sha256(value.encode()).hexdigest()[:24]


class LookupRateLimiter:
    """Allows an order lookup unless its conversation or its source is over the limit.

    Bounds how fast anyone can try order numbers at all, including a client that opens a
    fresh conversation for every guess (the identity service counts only failures). Fixed
    windows, shared through Redis when ``SHOP_RATE_LIMIT_REDIS_URL`` is set.
    """

    def __init__(
        self,
        counter: Counter,
        per_conversation: Limit = Limit(10, 60),
        per_source: Limit = Limit(60, 60),
    ) -> None:
        self.counter = counter
        self.per_conversation = per_conversation
        self.per_source = per_source
        self.limiter = AttemptLimiter(CounterStore(counter))

    def check(self, conversation_id: str, source: str | None = None, now: float | None = None) -> Verdict:
        """Count one lookup and say whether it may go ahead (UNAVAILABLE when the store is down)."""
        keys = [Key("c", hashed(conversation_id), self.per_conversation)]
        if source:
            keys.append(Key("s", hashed(source), self.per_source))
        return self.limiter.attempt(keys, now).verdict

    def allow(self, conversation_id: str, source: str | None = None, now: float | None = None) -> bool:
        """True only when :meth:`check` allows the lookup (False over a limit or store down)."""
        return self.check(conversation_id, source, now) is Verdict.ALLOWED

    @classmethod
    def from_env(cls) -> LookupRateLimiter:
        """Limits from :mod:`shop.settings` (``SHOP_LOOKUP_RATE_*``); Redis when
        ``SHOP_RATE_LIMIT_REDIS_URL`` is set."""
        st = shop_settings.load()
        window = st.lookup_rate_window_seconds
        url = st.rate_limit_redis_url
        counter: Counter = RedisCounter.from_url(url) if url else MemoryCounter()
        return cls(
            counter,
            Limit(st.lookup_rate_per_conversation, window),
            Limit(st.lookup_rate_per_source, window),
        )
