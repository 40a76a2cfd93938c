"""One oversized message never delays anyone: the cap is applied before NLU on every channel.

Against the real assistant (``stack``). Before the cap, one 100,000-character REST message got
no answer for 26 s and another shopper's "hello" sent meanwhile waited 25 s.
(Telegram: tests/channels/test_telegram_webhook.py.)
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List

import requests

from harness.stack import Stack
from shop.limits import empty_text, max_message_chars, too_long_text
from tests.e2e.helpers import text_of
from tests.support.socketio_client import SocketIOClient

HOSTILE_CHARS = 100_000


def post(stack: Stack, sender: str, text: str) -> List[Dict[str, Any]]:
    body = {"sender": sender, "message": text}
    resp = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
    resp.raise_for_status()
    return list(resp.json())


def timed(stack: Stack, sender: str, text: str) -> tuple[float, List[Dict[str, Any]]]:
    started = time.monotonic()
    replies = post(stack, sender, text)
    return time.monotonic() - started, replies


def test_a_huge_rest_message_gets_the_limit_reply_and_a_concurrent_hello_is_not_delayed(
    stack: Stack, sender: str
) -> None:
    bystander = f"bystander-{uuid.uuid4().hex[:8]}"
    post(stack, bystander, "hi")  # warm: the first turn of a conversation loads more
    in_flight = threading.Event()

    def hostile(i: int) -> tuple[float, List[Dict[str, Any]]]:
        in_flight.set()
        return timed(stack, f"{sender}-{i}", "x" * HOSTILE_CHARS)

    with ThreadPoolExecutor(max_workers=4) as pool:
        floods = [pool.submit(hostile, i) for i in range(3)]
        in_flight.wait(5)
        hello_seconds, hello = timed(stack, bystander, "hello")
        results = [f.result() for f in floods]

    assert hello and too_long_text() not in text_of(hello)
    assert hello_seconds < 1.0, f"hello waited {hello_seconds:.2f}s behind the oversized messages"
    for seconds, replies in results:
        assert [r["text"] for r in replies] == [too_long_text()]
        assert seconds < 2.0
    # Not stored as a user turn: the conversation has no trace of the text.
    events = stack.tracker(f"{sender}-0")["events"]
    assert not [e for e in events if e.get("event") == "user"]


def test_the_limit_reply_states_the_limit(stack: Stack, sender: str) -> None:
    replies = post(stack, sender, "y" * (max_message_chars() + 1))
    assert [r["text"] for r in replies] == [too_long_text()]
    assert f"{max_message_chars():,} characters" in replies[0]["text"]


def test_an_oversized_chinese_message_is_answered_in_chinese(stack: Stack, sender: str) -> None:
    replies = post(stack, sender, "我的订单到哪了" * (max_message_chars() // 7 + 1))
    assert [r["text"] for r in replies] == [too_long_text(lang="zh")]
    assert f"{max_message_chars():,} 个字符" in replies[0]["text"]
    blank = post(stack, sender, "   ")
    assert [r["text"] for r in blank] == [empty_text()]


def test_a_message_of_exactly_the_limit_is_answered_normally(stack: Stack, sender: str) -> None:
    words = "where is my order please "
    text = (words * (max_message_chars() // len(words) + 1))[: max_message_chars() - 1] + "?"
    assert len(text) == max_message_chars()
    replies = post(stack, sender, text)
    assert replies and too_long_text() not in text_of(replies)
    users = [e for e in stack.tracker(sender)["events"] if e.get("event") == "user"]
    assert [len(e["text"]) for e in users] == [max_message_chars()]


async def _reply(client: SocketIOClient, text: str, timeout: float = 30) -> tuple[float, str]:
    started = time.monotonic()
    await client.emit("user_uttered", {"message": text})
    message = await client.next("bot_uttered", timeout)
    return time.monotonic() - started, str(message.get("text") or "")


async def test_socketio_oversized_message_gets_the_limit_reply_and_the_cap_passes(stack: Stack) -> None:
    tab = await SocketIOClient(stack.rasa_url).connect()
    await tab.session()
    seconds, text = await _reply(tab, "z" * 20_000)
    assert text == too_long_text() and seconds < 2.0
    _, text = await _reply(tab, ("hello " * 400)[: max_message_chars()])
    assert text and text != too_long_text()
    await tab.close()


async def test_socketio_oversized_payload_is_refused_without_harming_other_clients(stack: Stack) -> None:
    bystander = await SocketIOClient(stack.rasa_url).connect()
    await bystander.session()
    await _reply(bystander, "hi")  # warm
    attacker = await SocketIOClient(stack.rasa_url).connect()
    await attacker.session()

    await attacker.emit("user_uttered", {"message": "x" * HOSTILE_CHARS * 2})
    seconds, text = await _reply(bystander, "hello")
    await asyncio.wait_for(attacker.closed.wait(), 10)  # the server dropped that connection

    assert text and text != too_long_text()
    assert seconds < 1.0, f"hello waited {seconds:.2f}s"
    await bystander.close()
    await attacker.close()
