"""ops.action_client: Rasa's action calls over kept-alive connections, with Rasa's own answers.

A real HTTP server on loopback counts the connections it accepts. The pooled endpoint must
send what Rasa's ``EndpointConfig.request`` sends (URL, token, headers, body), return and
raise what it returns and raises, and use one connection for calls one after another where
Rasa opens one per call; ``RemoteAction.run`` (through ops/resilience.py's guard) must use it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Dict, List, Set

import pytest
from aiohttp import web
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import ClientResponseError, EndpointConfig
from sanic import Blueprint

import ops.resilience  # noqa: F401  (installs the guard that swaps in the pooled endpoint)
from ops import action_client
from ops.action_client import PooledEndpointConfig, pooled

ANSWER = {"events": [{"event": "slot", "name": "order_id", "value": "104523"}], "responses": []}


@dataclass
class Server:
    """What the loopback server saw."""

    url: str
    peers: Set[Any] = field(default_factory=set)
    calls: List[Dict[str, Any]] = field(default_factory=list)


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    seen = Server(url="")

    async def webhook(request: web.Request) -> web.StreamResponse:
        seen.peers.add(request.transport.get_extra_info("peername") if request.transport else None)
        body = await request.text()
        seen.calls.append({"query": dict(request.query), "headers": dict(request.headers), "body": body})
        kind = request.query.get("kind", "")
        if kind == "reject":
            return web.json_response({"action_name": "validate_x", "error": "no"}, status=400)
        if kind == "fail":
            return web.Response(status=500, text="boom")
        if kind == "text":
            return web.Response(text="not json")
        return web.json_response(ANSWER)

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    seen.url = f"http://127.0.0.1:{port}/webhook"
    try:
        yield seen
    finally:
        await action_client.close_all()
        await runner.cleanup()


def endpoint(url: str) -> EndpointConfig:
    return EndpointConfig(url=url, token="s3cret", headers={"X-Shop": "1"})


async def test_calls_one_after_another_share_one_connection(server: Server) -> None:
    plain = endpoint(server.url)
    for _ in range(3):
        assert await plain.request(json={"a": 1}, method="post") == ANSWER
    assert len(server.peers) == 3  # Rasa's own: one connection per call
    server.peers.clear()
    twin = pooled(plain)
    for _ in range(3):
        assert await twin.request(json={"a": 1}, method="post") == ANSWER  # type: ignore[union-attr]
    assert len(server.peers) == 1


async def test_sends_what_rasa_sends(server: Server) -> None:
    plain, twin = endpoint(server.url), PooledEndpointConfig.twin_of(endpoint(server.url))
    await plain.request(json={"next_action": "x"}, method="post", params={"extra": "1"})
    await twin.request(json={"next_action": "x"}, method="post", params={"extra": "1"})
    await twin.close()
    rasa, ours = server.calls
    assert ours["query"] == rasa["query"] == {"token": "s3cret", "extra": "1"}
    assert json.loads(ours["body"]) == json.loads(rasa["body"]) == {"next_action": "x"}
    for header in ("Content-Type", "X-Shop"):
        assert ours["headers"][header] == rasa["headers"][header]


@pytest.mark.parametrize("kind,status", [("reject", 400), ("fail", 500)])
async def test_error_statuses_raise_as_rasa_does(server: Server, kind: str, status: int) -> None:
    errors = []
    for ep in (endpoint(server.url), pooled(endpoint(server.url))):
        with pytest.raises(ClientResponseError) as caught:
            await ep.request(json={}, method="post", params={"kind": kind})  # type: ignore[union-attr]
        errors.append((caught.value.status, caught.value.text))
    assert errors[0] == errors[1]
    assert errors[0][0] == status


async def test_a_non_json_answer_is_none_as_in_rasa(server: Server) -> None:
    plain = endpoint(server.url)
    assert await plain.request(json={}, params={"kind": "text"}) is None
    assert await pooled(plain).request(json={}, params={"kind": "text"}) is None  # type: ignore[union-attr]


def test_pooled_is_made_once_per_endpoint_and_keeps_its_settings() -> None:
    plain = EndpointConfig(
        url="http://x/webhook", token="t", token_name="tok", cafile=None, enable_selective_domain=True
    )
    twin = pooled(plain)
    assert pooled(plain) is twin and pooled(twin) is twin and pooled(None) is None
    assert isinstance(twin, PooledEndpointConfig) and twin == plain
    assert twin.token_name == "tok" and twin.kwargs == plain.kwargs
    assert pooled(EndpointConfig(url="http://x/webhook")) is not twin


async def test_remote_actions_run_over_the_pooled_connection(server: Server) -> None:
    shared = endpoint(server.url)
    domain = Domain.from_dict({"slots": {"order_id": {"type": "text", "mappings": [{"type": "custom"}]}}})
    for _ in range(3):
        tracker = DialogueStateTracker("shopper", domain.slots)
        events = await RemoteAction("action_x", shared).run(
            CollectingOutputChannel(), TemplatedNaturalLanguageGenerator({}), tracker, domain
        )
        assert events == [SlotSet("order_id", "104523")]
    assert len(server.calls) == 3 and len(server.peers) == 1


def test_rest_channel_closes_the_sessions_on_stop() -> None:
    async def on_new_message(message: object) -> None:
        return None

    bp = ops.resilience.ResilientRestInput().blueprint(on_new_message)  # type: ignore[arg-type]
    assert isinstance(bp, Blueprint)
    assert "before_server_stop" in [future.event for future in bp._future_listeners]
