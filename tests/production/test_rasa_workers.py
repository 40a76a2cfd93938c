"""The real assistant with two Rasa workers (SANIC_WORKERS=2) on the default SQLite lock store.

Rasa's parent process forks the workers; they share one listening socket and each loads the
model. REST turns of many shoppers are answered by both workers (their CPU time grows), one
shopper's concurrent messages are serialized by the lock store, socket.io works over
websocket with a message sent through the HTTP API (as the review console does) reaching the
shopper whichever worker holds its socket (ops/socketio_bus.py), and long-polling, which
cannot work across workers, is refused.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Dict, List, Tuple
from urllib.parse import quote

import aiohttp
import pytest
import requests

from channels import session_ids
from harness.processes import wait_until
from harness.stack import RASA_START_TIMEOUT, Stack, start_stack
from ops.workers import serving_workers
from tests.support.socketio_client import SocketIOClient

WORKERS = 2


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("workers")
    running = start_stack(workdir, {"SANIC_WORKERS": str(WORKERS)})
    try:
        rasa = running.services["rasa"].proc
        assert rasa is not None
        wait_until(lambda: len(serving_workers(rasa.pid)) >= WORKERS, RASA_START_TIMEOUT, "both workers")
        yield running
    finally:
        running.stop()


def rasa_pid(stack: Stack) -> int:
    """The Rasa parent process (``rasa run``), which forked the workers."""
    proc = stack.services["rasa"].proc
    assert proc is not None
    return proc.pid


def worker_pids(stack: Stack) -> List[int]:
    """The Rasa parent's child processes (Sanic's workers)."""
    parent = rasa_pid(stack)
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [int(pid) for pid in children]


def cpu_ticks(pid: int) -> int:
    """User + system CPU time of ``pid``, in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


async def rest_turns(url: str, turns: List[Tuple[str, str]]) -> List[int]:
    """(sender, text) turns all at once, each on its own connection (so on either worker)."""

    async def one(sender: str, text: str) -> int:
        body = {"sender": sender, "message": text}
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{url}/webhooks/rest/webhook", json=body) as resp:
                await resp.read()
                return resp.status

    return list(await asyncio.gather(*(one(sender, text) for sender, text in turns)))


def test_both_workers_answer_rest_shoppers(stack: Stack) -> None:
    pids = worker_pids(stack)
    assert len(pids) == WORKERS
    assert sorted(serving_workers(rasa_pid(stack))) == sorted(pids)
    before = {pid: cpu_ticks(pid) for pid in pids}
    # Which worker accepts a connection is the kernel's race: a burst of cheap turns can all go
    # to one. Up to five bursts of 24 shoppers; a worker that never serves still fails.
    for _ in range(5):
        senders = [f"workers-{uuid.uuid4().hex[:10]}" for _ in range(24)]
        turns = [(sender, "how long does shipping take?") for sender in senders]
        statuses = asyncio.run(rest_turns(stack.rasa_url, turns))
        assert statuses == [200] * len(senders)
        busy = [pid for pid in pids if cpu_ticks(pid) > before[pid] + 5]
        if sorted(busy) == sorted(pids):
            break
    assert sorted(busy) == sorted(pids), "one worker served every shopper"


def test_one_shoppers_concurrent_messages_are_serialized(stack: Stack) -> None:
    sender = f"workers-{uuid.uuid4().hex[:10]}"
    texts = ["hello", "are you a bot?", "how long does shipping take?", "bye"]
    statuses = asyncio.run(rest_turns(stack.rasa_url, [(sender, text) for text in texts]))
    assert statuses == [200] * len(texts)
    events = stack.tracker(sender)["events"]
    kinds = [e["event"] for e in events if e["event"] in ("user", "action")]
    users = [i for i, kind in enumerate(kinds) if kind == "user"]
    assert len(users) == len(texts)
    # Serialized: every message was followed by the bot's actions before the next message.
    for i in users:
        assert kinds[i + 1] == "action", kinds


async def socket_shoppers(stack: Stack, count: int) -> Dict[str, str]:
    """``count`` widgets on new websockets: each chats, then gets a message from a person sent
    through the HTTP API; {conversation: what that shopper received}."""
    clients = [await SocketIOClient(stack.rasa_url).connect() for _ in range(count)]
    received: Dict[str, str] = {}
    try:
        conversations = []
        for client in clients:
            session = await client.session()
            await client.emit("user_uttered", {"message": "hello", "session_id": session})
            await client.next("bot_uttered")
            conversations.append(session_ids.conversation_of(session))
        for conversation in conversations:
            url = f"{stack.rasa_url}/conversations/{quote(conversation, safe=':@+=')}/tracker/events"
            params = {"output_channel": "latest", "execute_side_effects": "true", "token": stack.token}
            event = {"event": "bot", "text": f"a person writes to {conversation}"}
            async with aiohttp.ClientSession() as http:  # a new connection: either worker
                async with http.post(url, params=params, json=[event]) as resp:
                    assert resp.status == 200, await resp.text()
        for client, conversation in zip(clients, conversations, strict=True):
            while True:
                message = await client.next("bot_uttered", timeout=30)
                if "a person writes" in str(message.get("text")):
                    received[conversation] = str(message["text"])
                    break
    finally:
        for client in clients:
            await client.close()
    return received


def test_socketio_messages_reach_the_shopper_on_any_worker(stack: Stack) -> None:
    count = 8
    received = asyncio.run(socket_shoppers(stack, count))
    assert len(received) == count
    assert all(text == f"a person writes to {conversation}" for conversation, text in received.items())


def test_long_polling_is_refused_with_several_workers(stack: Stack) -> None:
    params = {"EIO": "4", "transport": "polling"}
    resp = requests.get(f"{stack.rasa_url}/socket.io/", params=params, timeout=30)
    assert resp.status_code == 400


def test_no_worker_is_left_after_stop(stack: Stack) -> None:
    pids = worker_pids(stack)
    stack.stop_role("rasa")
    wait_until(lambda: not any(os.path.exists(f"/proc/{pid}") for pid in pids), 60, "workers exited")
