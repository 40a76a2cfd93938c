"""The action server is not ready (``/health`` 503) while it loads the catalog, then it is."""

from __future__ import annotations

import asyncio
import json
import threading
from types import SimpleNamespace

from actions import services
from actions.server import HEALTH_PATH, _token_guard, not_ready


def test_warming_lasts_as_long_as_the_warm_up_even_when_it_fails() -> None:
    release = threading.Event()

    def slow_then_broken() -> None:
        release.wait(30)
        raise RuntimeError("index missing")

    thread = services.start_catalog_warm_up(slow_then_broken)
    try:
        assert services.catalog_warming()
        blocked = not_ready(HEALTH_PATH)
        assert blocked is not None and blocked.status == 503
        assert json.loads(blocked.body) == {"status": "warming up"}
    finally:
        release.set()
        thread.join(30)
    assert not services.catalog_warming()  # a failed warm-up still ends: the server serves
    assert not_ready(HEALTH_PATH) is None


def test_health_stays_open_without_a_token_and_other_routes_do_not() -> None:
    guard = _token_guard("the-token")

    def request(path: str) -> SimpleNamespace:
        return SimpleNamespace(path=path, args={})

    assert asyncio.run(guard(request(HEALTH_PATH))) is None  # not warming: rasa_sdk's own answer
    refused = asyncio.run(guard(request("/webhook")))
    assert refused is not None and refused.status == 401
