"""A flood of one client does not slow other shoppers (ops/turn_worker.py, ops/admission.py).

Against the running assistant (one Rasa process): forty messages at once from one client,
and, once the first of them is answered, one message of another shopper. What is checked is
*ordering*, not timing: how many of the flood's turns were answered while the shopper waited
(:func:`overlapped`), against a bound that follows from how turns share the process:

* **one conversation** (:data:`ONE_CONVERSATION_BOUND` = 3): Rasa runs a conversation's
  turns one at a time and the door lines them up before it, so the flood has one turn in
  flight. The shopper's turn takes ~6 steps on the worker thread (tracker, NLU, two or three
  predictions, save), each behind at most the one flood step in progress, so at most about one
  flood turn's worth of steps (~6) runs during the shopper's turn: the flood turn that was
  running when the shopper came, and one more; one more for the flood's loop-side work.
  Before the worker thread (all steps on the event loop) it was 31-34 of 40 at stop 21.
* **many conversations of one client** (:data:`SPREAD_BOUND` = 9): the flood fills the
  door's eight places; the shopper gets the first place that frees (places go round robin
  by client), and then its steps alternate with the flood's on the worker (also round robin
  by client). The eight flood turns inside may all finish while the shopper's six steps run
  (each needs a few more steps, one per shopper step), plus the one whose place it took.

Every flooded message gets an answer: a real one, or, beyond one conversation's burst,
:func:`shop.limits.busy_text` at once (the first turns of the burst always get real ones).
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Tuple

import requests
from requests.adapters import HTTPAdapter
from urllib3 import PoolManager

from channels import session_ids
from harness.stack import Stack
from ops.admission import MAX_WAITING_PER_CONVERSATION
from shop import messages
from tests.e2e.helpers import text_of
from tests.support.socketio_client import SocketIOClient

FLOOD = 40
ONE_CONVERSATION_BOUND = 3
SPREAD_BOUND = 9
#: The flooding client's address (every other test shopper comes from 127.0.0.1).
FLOODER = "127.0.0.2"
QUESTION = "how long does shipping take?"


class _From(HTTPAdapter):
    """Connections from a chosen local address."""

    def __init__(self, address: str) -> None:
        self._address = address
        super().__init__(pool_maxsize=FLOOD + 4)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **kwargs: Any) -> None:
        self.poolmanager = PoolManager(
            num_pools=connections, maxsize=maxsize, block=block, source_address=(self._address, 0)
        )


def _busy(text: str) -> bool:
    return text in messages.variants("guard.busy")


class Timeline:
    """Answers in the order they came back: (who, text), and how many there were at a moment."""

    def __init__(self) -> None:
        self.answers: List[Tuple[str, str]] = []
        self.lock = threading.Lock()
        self.first_real = threading.Event()

    def add(self, who: str, text: str) -> int:
        with self.lock:
            self.answers.append((who, text))
            if who == "flood" and not _busy(text):
                self.first_real.set()
            return len(self.answers)

    def real_flood_answers(self, start: int, end: int) -> int:
        with self.lock:
            return sum(1 for who, text in self.answers[start:end] if who == "flood" and not _busy(text))


def overlapped(stack: Stack, timeline: Timeline) -> Tuple[int, str]:
    """Ask the shopper's question once the flood answered; (flood turns answered meanwhile, reply)."""
    assert timeline.first_real.wait(120), "no real answer to the flood at all"
    with timeline.lock:
        sent_at = len(timeline.answers)
    reply = text_of(stack.say(f"shopper-{uuid.uuid4().hex[:8]}", QUESTION))
    back_at = timeline.add("shopper", reply)
    return timeline.real_flood_answers(sent_at, back_at - 1), reply


def _rest_flood(stack: Stack, sender_of: Callable[[int], str]) -> Tuple[int, str, List[str]]:
    session = requests.Session()
    session.mount("http://", _From(FLOODER))
    timeline = Timeline()
    url = f"{stack.rasa_url}/webhooks/rest/webhook"

    def turn(i: int) -> str:
        resp = session.post(url, json={"sender": sender_of(i), "message": "hello"}, timeout=300)
        resp.raise_for_status()
        text = text_of(list(resp.json()))
        timeline.add("flood", text)
        return text

    with ThreadPoolExecutor(max_workers=FLOOD) as pool:
        flood = [pool.submit(turn, i) for i in range(FLOOD)]
        during, reply = overlapped(stack, timeline)
        replies = [f.result(timeout=300) for f in flood]
    return during, reply, replies


def test_a_flood_of_one_conversation_does_not_hold_up_another_shopper(stack: Stack) -> None:
    flooder = f"flood-{uuid.uuid4().hex[:8]}"
    during, reply, replies = _rest_flood(stack, lambda _: flooder)
    print(f"one conversation: {during} flood turns answered while the shopper waited")
    assert reply and not _busy(reply)
    assert during <= ONE_CONVERSATION_BOUND, f"the shopper waited while {during} flood turns were answered"
    assert all(replies), "every flooded message gets an answer"
    real = [r for r in replies if not _busy(r)]
    assert len(real) >= MAX_WAITING_PER_CONVERSATION + 1, "the burst's first turns get real answers"


def test_a_flood_over_many_conversations_of_one_client_does_not_hold_up_another(stack: Stack) -> None:
    """REST lets a client choose its sender ids: forty conversations from one address at once."""
    prefix = f"spread-{uuid.uuid4().hex[:8]}"
    during, reply, replies = _rest_flood(stack, lambda i: f"{prefix}-{i}")
    print(f"many conversations: {during} flood turns answered while the shopper waited")
    assert reply and not _busy(reply)
    assert during <= SPREAD_BOUND, f"the shopper waited while {during} flood turns were answered"
    assert all(replies) and not any(_busy(r) for r in replies)  # one message per conversation: no burst


def _turns_ended_between(tracker: Dict[str, Any], start: float, end: float) -> int:
    """Turns of a stored conversation that ended (its ``action_listen``) between two times."""
    return sum(
        1
        for e in tracker["events"]
        if e.get("event") == "action" and e.get("name") == "action_listen" and start < e["timestamp"] < end
    )


async def test_a_socketio_flood_of_one_tab_does_not_hold_up_another_shopper(stack: Stack) -> None:
    """The widget's messages inside one connection are not limited by nginx: forty at once.

    The flood's answers reach the tab only when the loop flushes them, so what is counted is
    server-side: the flood turns whose end the tracker stored while the shopper waited. The
    ordering held on 6d75023 too (2 turns: one connection's messages were already lined up
    by the conversation); what is new is that every message is accounted for: a stored turn
    or a busy answer on the tab.
    """
    await asyncio.to_thread(stack.say, f"warm-{uuid.uuid4().hex[:8]}", "hi")  # past the warm-up
    tab = await SocketIOClient(stack.rasa_url).connect()
    conversation = session_ids.conversation_of(await tab.session())
    try:
        for _ in range(FLOOD):
            await tab.emit("user_uttered", {"message": "hello"})
        texts = [str((await tab.next("bot_uttered", 60)).get("text") or "")]
        shopper = f"shopper-{uuid.uuid4().hex[:8]}"
        sent = time.time()
        reply = await asyncio.to_thread(lambda: text_of(stack.say(shopper, QUESTION)))
        back = time.time()
        assert reply and not _busy(reply)
        stored = -1
        for _ in range(60):  # until the flood's last turns are stored
            await asyncio.sleep(0.5)
            tracker = await asyncio.to_thread(stack.tracker, conversation, None)
            count = sum(1 for e in tracker["events"] if e.get("event") == "user")
            if count == stored:
                break
            stored = count
        during = _turns_ended_between(tracker, sent, back)
        queue = tab.queue("bot_uttered")
        while not queue.empty():
            texts.append(str(queue.get_nowait().get("text") or ""))
        print(f"socket.io flood: {during} flood turns ended while the shopper waited {back - sent:.2f} s")
        assert stored >= MAX_WAITING_PER_CONVERSATION + 1, "the burst's first turns get real answers"
        busy = sum(1 for text in texts if _busy(text))
        assert stored + busy == FLOOD, f"{stored} turns and {busy} busy answers for {FLOOD} messages"
        assert during <= ONE_CONVERSATION_BOUND, f"the shopper waited while {during} flood turns ended"
    finally:
        await tab.close()
