"""The action server's services are built once even when worker threads ask together."""

from __future__ import annotations

import threading
from typing import Any, List

import pytest

from actions import services
from actions.services import once

THREADS = 8


def _race(get: Any) -> List[Any]:
    """Call ``get`` from THREADS threads released together; their results in order."""
    results: List[Any] = [None] * THREADS
    errors: List[BaseException] = []
    start = threading.Barrier(THREADS)

    def call(i: int) -> None:
        try:
            start.wait(timeout=10)
            results[i] = get()
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert not any(t.is_alive() for t in threads), "a caller never returned"
    assert not errors, errors
    return results


def test_concurrent_first_calls_build_one_instance() -> None:
    built: List[object] = []
    guard = threading.Lock()
    all_inside = threading.Condition(guard)

    @once
    def factory() -> object:
        with all_inside:
            built.append(object())
            all_inside.notify_all()
            # Give every other caller the chance to get in too: without the lock they all
            # would, and the wait ends as soon as they have; with it this waits out its deadline.
            all_inside.wait_for(lambda: len(built) == THREADS, timeout=0.5)
            return built[-1]

    results = _race(factory)
    assert len(built) == 1
    assert all(r is built[0] for r in results)
    assert factory() is built[0]


def test_a_failed_build_is_not_cached() -> None:
    attempts: List[int] = []

    @once
    def flaky() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("database still starting")
        return "ready"

    with pytest.raises(ConnectionError):
        flaky()
    assert flaky() == "ready" and flaky() == "ready"
    assert len(attempts) == 2


def test_services_raced_by_worker_threads_share_one_session_factory() -> None:
    factories = (services.sessions, services.settings, services.orders, services.returns, services.identity)
    for factory in (*factories, services.catalog, services.recommender, services.pricing_chat):
        assert isinstance(factory, once)
    for factory in factories:
        factory.cache_clear()
    try:
        built = _race(lambda: (services.orders(), services.returns(), services.identity()))
        orders, returns, identity = built[0]
        assert all(b[0] is orders and b[1] is returns and b[2] is identity for b in built)
        assert orders._sessions is returns._sessions is identity._sessions is services.sessions()
    finally:
        for factory in factories:
            factory.cache_clear()


def test_blocking_calls_leave_the_main_loop_and_stay_on_a_worker_thread() -> None:
    import asyncio

    def where() -> threading.Thread:
        return threading.current_thread()

    assert asyncio.run(services.run_blocking(where)) is not threading.main_thread()
    seen: List[Any] = []

    def worker() -> None:  # as actions.server runs a call: its own thread and loop
        seen.append((asyncio.run(services.run_blocking(where)), threading.current_thread()))

    t = threading.Thread(target=worker)
    t.start()
    t.join(timeout=10)
    assert seen and seen[0][0] is seen[0][1]
