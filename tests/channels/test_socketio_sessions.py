"""The widget's socket.io channel decides the session, the conversation and the source.

``channels.socketio_web.WebSocketIOInput`` (configured from credentials.yml) is mounted with
Rasa's own ``register`` on a real Sanic server; a recording agent stands in for Rasa, so these
run without a model. python-socketio's AsyncClient talks to it over a real websocket.
tests/security/test_sender_ids.py does the same against the trained assistant.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any, AsyncIterator, Dict, List, Optional

import pytest
import yaml
from rasa.core.channels.channel import UserMessage
from rasa.shared.exceptions import RasaException

from channels import session_ids
from channels.socketio_web import WebSocketIOInput
from shop.limits import max_message_chars, too_long_text
from tests.channels.sanic_app import channel_server
from tests.support.socketio_client import SocketIOClient

ROOT = Path(__file__).resolve().parents[2]
KEY = "k" * 40
CHANNEL_KEY = "channels.socketio_web.WebSocketIOInput"


class RecordingAgent:
    """Stands in for Rasa's agent: records messages and echoes the conversation id."""

    def __init__(self) -> None:
        self.messages: List[UserMessage] = []

    async def handle_message(self, message: UserMessage) -> None:
        self.messages.append(message)
        await message.output_channel.send_response(message.sender_id, {"text": f"[{message.sender_id}] ok"})


class Widget(SocketIOClient):
    """One browser tab: a websocket to the channel, as the widget opens it."""

    async def open(self, session_id: Optional[str] = None) -> str:
        await self.connect()
        return await self.session(session_id)

    async def say(self, message: Any, **fields: Any) -> None:
        await self.emit("user_uttered", {"message": message, **fields})

    async def reply(self, timeout: float = 10) -> Dict[str, Any]:
        return dict(await self.next("bot_uttered", timeout))


@pytest.fixture
async def server(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[str, RecordingAgent]]:
    monkeypatch.setenv("SHOP_SESSION_SECRET", KEY)
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text())[
        "channels.socketio_web.WebSocketIOInput"
    ]
    channel = WebSocketIOInput.from_credentials(credentials)
    agent = RecordingAgent()
    async with channel_server(channel, agent, "socketio_test") as url:
        yield url, agent


async def test_the_server_issues_a_signed_session_and_keeps_it_on_reconnect(server) -> None:
    url, agent = server
    first = Widget(url)
    issued = await first.open()
    assert session_ids.verify(KEY, issued)
    await first.say("hello")
    assert (await first.reply())["text"] == f"[{session_ids.conversation_of(issued)}] ok"
    await first.close()

    again = Widget(url)
    assert await again.open(issued) == issued
    await again.say("still me")
    await again.reply()
    assert [m.sender_id for m in agent.messages] == [session_ids.conversation_of(issued)] * 2
    assert all(m.sender_id.startswith("socketio:") and "." not in m.sender_id for m in agent.messages)
    await again.close()


@pytest.mark.parametrize(
    "presented",
    [
        "104523",  # a guessable id, e.g. another channel's
        uuid.uuid4().hex,  # what the widget used to make up itself
        session_ids.issue("another key" * 4),  # signed, but not with this server's key
        "socketio:abc",
    ],
    # Fixed ids: the values are random, and parallel workers must collect the same tests.
    ids=["guessable", "made-up-by-the-client", "signed-with-another-key", "channel-prefixed"],
)
async def test_an_id_the_server_did_not_issue_gets_a_new_session(server, presented: str) -> None:
    url, agent = server
    widget = Widget(url)
    confirmed = await widget.open(presented)
    assert confirmed != presented and session_ids.verify(KEY, confirmed)
    await widget.say("hi")
    await widget.reply()
    assert agent.messages[-1].sender_id == session_ids.conversation_of(confirmed)
    await widget.close()


async def test_the_session_id_inside_a_message_is_ignored(server) -> None:
    url, agent = server
    victim, attacker = Widget(url), Widget(url)
    victim_session = await victim.open()
    await attacker.open()
    await attacker.say("cancel my order", session_id=victim_session)
    await attacker.reply()
    assert agent.messages[-1].sender_id != session_ids.conversation_of(victim_session)
    assert victim.queue("bot_uttered").empty()
    await victim.close()
    await attacker.close()


async def test_source_is_the_connection_address_never_the_clients(server) -> None:
    url, agent = server
    widget = Widget(url)
    await widget.open()
    await widget.say("hi", metadata={"source": "10.9.8.7", "identity_token": "t"})
    await widget.reply()
    assert agent.messages[-1].metadata == {"source": "127.0.0.1", "identity_token": "t"}
    await widget.close()


async def test_messages_without_a_session_or_text_never_reach_rasa(server) -> None:
    url, agent = server
    widget = Widget(url)
    await widget.connect()
    await widget.say("before session_request", session_id=session_ids.issue(KEY))
    await widget.session()
    for not_text in ({"text": "x"}, ["x"], 42, None):
        await widget.say(not_text)
    await widget.say("now")
    assert (await widget.reply())["text"].endswith("ok")
    assert [m.text for m in agent.messages] == ["now"]
    await widget.close()


async def test_a_message_over_the_cap_gets_the_limit_reply_and_the_cap_itself_passes(server) -> None:
    url, agent = server
    widget = Widget(url)
    await widget.open()
    limit = max_message_chars()
    await widget.say("x" * (limit + 1))
    assert (await widget.reply())["text"] == too_long_text()
    await widget.say("y" * limit)
    assert (await widget.reply())["text"].endswith("ok")
    assert [len(m.text or "") for m in agent.messages] == [limit]
    await widget.close()


async def test_an_oversized_payload_closes_only_that_connection(server) -> None:
    url, agent = server
    bystander, attacker = Widget(url), Widget(url)
    await bystander.open()
    await attacker.open()
    await attacker.say("z" * 200_000)
    await asyncio.wait_for(attacker.closed.wait(), 10)
    await bystander.say("hello")
    assert (await bystander.reply())["text"].endswith("ok")
    assert [m.text for m in agent.messages] == ["hello"]
    await bystander.close()
    await attacker.close()


def test_the_channel_refuses_to_load_without_its_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHOP_SESSION_SECRET", raising=False)
    with pytest.raises(RasaException, match="SHOP_SESSION_SECRET"):
        WebSocketIOInput.from_credentials({"session_persistence": True})
    monkeypatch.setenv("SHOP_SESSION_SECRET", "dev-only-change-me")
    with pytest.raises(RasaException, match="SHOP_SESSION_SECRET"):
        WebSocketIOInput.from_credentials({"session_persistence": True})
