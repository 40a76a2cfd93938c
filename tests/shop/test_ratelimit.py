"""Lookup rate limits per conversation and per source, in memory and on a real Redis."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from harness.redis import start_redis
from shop.lookup_rate import LookupRateLimiter, MemoryCounter, RedisCounter
from shop.ratelimit import Limit, Verdict

NOW = 1_700_000_000.0


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, stop = start_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield url
    finally:
        stop()


@pytest.fixture(params=["memory", "redis"])
def limiter_for(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    def make(per_conversation: Limit, per_source: Limit) -> LookupRateLimiter:
        if request.param == "memory":
            counter = MemoryCounter()
        else:
            import uuid

            counter = RedisCounter.from_url(request.getfixturevalue("redis_url"))
            counter._prefix = f"test:{uuid.uuid4().hex}"
        return LookupRateLimiter(counter, per_conversation, per_source)

    return make


def test_conversation_limited_after_its_quota(limiter_for) -> None:  # type: ignore[no-untyped-def]
    limiter = limiter_for(Limit(3, 60), Limit(0))
    assert [limiter.allow("conv-a", "1.2.3.4", now=NOW) for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("conv-b", "1.2.3.4", now=NOW)


def test_source_limited_across_fresh_conversations(limiter_for) -> None:  # type: ignore[no-untyped-def]
    limiter = limiter_for(Limit(10, 60), Limit(5, 60))
    verdicts = [limiter.allow(f"conv-{i}", "203.0.113.9", now=NOW) for i in range(6)]
    assert verdicts == [True] * 5 + [False]
    assert limiter.allow("conv-x", "198.51.100.7", now=NOW)


def test_limit_lifts_in_the_next_window(limiter_for) -> None:  # type: ignore[no-untyped-def]
    limiter = limiter_for(Limit(1, 60), Limit(0))
    assert limiter.allow("conv", now=NOW)
    assert not limiter.allow("conv", now=NOW + 1)
    assert limiter.allow("conv", now=NOW + 60)


def test_zero_disables_a_limit() -> None:
    limiter = LookupRateLimiter(MemoryCounter(), Limit(0), Limit(0))
    assert all(limiter.allow("conv", "1.1.1.1", now=NOW) for _ in range(100))


def test_missing_source_only_counts_the_conversation() -> None:
    limiter = LookupRateLimiter(MemoryCounter(), Limit(2, 60), Limit(1, 60))
    assert limiter.allow("conv", None, now=NOW) and limiter.allow("conv", None, now=NOW)


def test_store_outage_fails_closed() -> None:
    class Broken:
        def incr(self, key: str, window_seconds: int, now: float) -> int:
            raise ConnectionError("redis down")

    limiter = LookupRateLimiter(Broken(), Limit(1), Limit(1))
    assert limiter.check("conv", "1.1.1.1") is Verdict.UNAVAILABLE
    assert not limiter.allow("conv", "1.1.1.1")


def test_unreachable_redis_refuses_lookups() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    limiter = LookupRateLimiter(RedisCounter.from_url(f"redis://127.0.0.1:{port}/0"), Limit(5), Limit(5))
    assert limiter.check("conv", "1.1.1.1", now=NOW) is Verdict.UNAVAILABLE


def test_verdicts_allowed_then_limited() -> None:
    limiter = LookupRateLimiter(MemoryCounter(), Limit(1, 60), Limit(0))
    assert limiter.check("conv", now=NOW) is Verdict.ALLOWED
    assert limiter.check("conv", now=NOW) is Verdict.LIMITED


def test_keys_hold_no_identifiers_in_clear(redis_url: str) -> None:
    counter = RedisCounter.from_url(redis_url)
    counter._prefix = "clear-test"
    LookupRateLimiter(counter, Limit(5), Limit(5)).allow("alex.morgan@example.com", "10.0.0.1", now=NOW)
    keys = [k.decode() for k in counter._client.keys("clear-test:*")]
    assert len(keys) == 2
    assert not any("alex" in k or "10.0.0.1" in k for k in keys)


def test_from_env_reads_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_LOOKUP_RATE_PER_CONVERSATION", "4")
    monkeypatch.setenv("SHOP_LOOKUP_RATE_PER_SOURCE", "0")
    monkeypatch.setenv("SHOP_LOOKUP_RATE_WINDOW_SECONDS", "30")
    monkeypatch.delenv("SHOP_RATE_LIMIT_REDIS_URL", raising=False)
    limiter = LookupRateLimiter.from_env()
    assert limiter.per_conversation == Limit(4, 30)
    assert not limiter.per_source.enabled
    assert isinstance(limiter.counter, MemoryCounter)
