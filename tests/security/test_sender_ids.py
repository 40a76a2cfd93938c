"""Sender ids are the server's: no id typed into one channel opens another's conversation.

Against the real assistant (``stack``): a shopper proves an order is theirs on one channel,
then an attacker reuses the same raw id on another channel, presents ids the socket.io server
did not issue, or slips a session id into a message. Each time the attacker is asked for the
email, as a stranger. (A Telegram chat id used as a REST sender:
tests/channels/test_telegram_rasa.py, on a Telegram-enabled Rasa.)
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Dict, List

import pytest
import requests
from sqlalchemy.orm import sessionmaker

from channels import session_ids
from harness.stack import Stack
from tests.e2e.helpers import pick_order, text_of
from tests.support.socketio_client import SocketIOClient

DETAIL_WORDS = ("Items:", "Total:", "tracking number", "on its way")
IDENTITY_SLOTS = ("customer_id", "verified_order")


class Tab(SocketIOClient):
    """The widget in one browser tab, on the real Rasa's socket.io channel."""

    async def turn(self, text: str, quiet: float = 1.5, timeout: float = 60) -> str:
        """Send ``text``; the bot's texts until it has been quiet for ``quiet`` seconds."""
        await self.emit("user_uttered", {"message": text})
        texts: List[str] = [str((await self.next("bot_uttered", timeout)).get("text") or "")]
        while True:
            try:
                texts.append(str((await self.next("bot_uttered", quiet)).get("text") or ""))
            except asyncio.TimeoutError:
                return "\n".join(texts)


async def open_tab(stack: Stack, session_id: Any = None) -> tuple[Tab, str]:
    tab = Tab(stack.rasa_url)
    await tab.connect()
    return tab, await tab.session(session_id)


def proves(reply: str, number: str) -> bool:
    return f"Order #{number}" in reply and any(word in reply for word in DETAIL_WORDS)


def asked_for_email(reply: str) -> bool:
    return "email" in reply.lower() and not any(word in reply for word in DETAIL_WORDS)


def identity_of(tracker: Dict[str, Any]) -> Dict[str, Any]:
    return {k: tracker["slots"].get(k) for k in IDENTITY_SLOTS}


async def test_same_raw_id_on_rest_and_socketio_shares_no_state(stack: Stack, shop_db: sessionmaker) -> None:
    number, email = pick_order(shop_db, "shipped")

    # A shopper on the widget proves the order is theirs.
    tab, session = await open_tab(stack)
    assert asked_for_email(await tab.turn(f"where is my order #{number}?"))
    assert proves(await tab.turn(email), number)
    conversation = session_ids.conversation_of(session)
    assert identity_of(stack.tracker(conversation, channel=None))["customer_id"]
    await tab.close()

    # Every spelling of that session's id, sent as a REST sender, is a stranger.
    for raw in (session, conversation, conversation.partition(":")[2]):
        reply = text_of(await asyncio.to_thread(stack.say, raw, f"where is my order #{number}?"))
        assert asked_for_email(reply), (raw, reply)
        assert identity_of(stack.tracker(raw)) == {"customer_id": None, "verified_order": None}

    # And the other way: proven on REST, the same raw id presented to socket.io opens nothing.
    rest_sender = f"shopper-{uuid.uuid4().hex[:10]}"
    await asyncio.to_thread(stack.say, rest_sender, f"where is my order #{number}?")
    assert proves(text_of(await asyncio.to_thread(stack.say, rest_sender, email)), number)
    for presented in (rest_sender, f"rest:{rest_sender}"):
        tab, confirmed = await open_tab(stack, presented)
        assert confirmed != presented and session_ids.verify(stack.env["SHOP_SESSION_SECRET"], confirmed)
        assert asked_for_email(await tab.turn(f"where is my order #{number}?"))
        await tab.close()


async def test_socketio_ids_the_server_did_not_issue_open_a_new_session(
    stack: Stack, shop_db: sessionmaker
) -> None:
    number, email = pick_order(shop_db, "shipped")
    victim, victim_session = await open_tab(stack)
    await victim.turn(f"where is my order #{number}?")
    assert proves(await victim.turn(email), number)
    conversation = session_ids.conversation_of(victim_session)
    random_part = conversation.partition(":")[2]

    forged = [
        conversation,  # what the console and the tracker show
        random_part,
        f"{random_part}.{'A' * 22}",  # the right shape, a made-up signature
        session_ids.issue("not the server's key, but long enough"),
        uuid.uuid4().hex,  # what the widget used to make up itself
    ]
    for presented in forged:
        attacker, confirmed = await open_tab(stack, presented)
        assert confirmed not in (presented, victim_session)
        assert session_ids.conversation_of(confirmed) != conversation
        assert asked_for_email(await attacker.turn(f"where is my order #{number}?")), presented
        tracker = stack.tracker(session_ids.conversation_of(confirmed), channel=None)
        assert identity_of(tracker) == {"customer_id": None, "verified_order": None}
        await attacker.close()

    # The victim's session id inside a message is ignored: the message stays the attacker's.
    attacker, own = await open_tab(stack)
    await attacker.emit("user_uttered", {"message": "cancel my order", "session_id": victim_session})
    await attacker.next("bot_uttered")
    assert victim.queue("bot_uttered").empty()
    victim_texts = [
        e.get("text") for e in stack.tracker(conversation, channel=None)["events"] if e["event"] == "user"
    ]
    assert "cancel my order" not in victim_texts
    await attacker.close()
    await victim.close()


def test_rest_source_and_channel_are_the_servers(stack: Stack, sender: str) -> None:
    body = {
        "sender": sender,
        "message": "hello",
        "input_channel": "telegram",
        "metadata": {"source": "203.0.113.9", "note": "kept"},
    }
    resp = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
    assert resp.status_code == 200 and resp.json()
    tracker = stack.tracker(sender)
    assert tracker["sender_id"] == f"rest:{sender}"
    assert tracker["latest_input_channel"] == "rest"
    assert tracker["latest_message"]["metadata"] == {"source": "127.0.0.1", "note": "kept"}


@pytest.mark.parametrize(
    "body",
    [
        {"message": "hi"},
        {"sender": "", "message": "hi"},
        {"sender": 104523, "message": "hi"},
        {"sender": "x" * 129, "message": "hi"},
        {"sender": "line\nbreak", "message": "hi"},
        {"sender": "ok-sender", "message": {"text": "hi"}},
        {"sender": "ok-sender"},
        ["not", "an", "object"],
    ],
    ids=["no-sender", "empty", "number", "too-long", "control-char", "message-object", "no-message", "list"],
)
def test_bad_rest_senders_and_messages_get_a_clear_400(stack: Stack, body: Any) -> None:
    resp = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json=body, timeout=30)
    assert resp.status_code == 400
    error = resp.json()
    assert error["error"] == "bad_request" and error["message"]


def test_a_sender_of_the_longest_allowed_length_still_chats(stack: Stack) -> None:
    sender = "s" * 128
    assert stack.say(sender, "hello")
    assert stack.tracker(sender)["sender_id"] == f"rest:{sender}"
