"""ops.admission: at most N turns at once per process, the rest wait before the lock.

Real ``Agent.handle_message`` with Rasa's in-memory lock store; only the processor is a
stand-in whose turns hold until the test lets them go, so what runs concurrently, in which
order, and who holds a conversation lock can be seen at every step.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any, Dict, List

import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain

from ops import admission
from shop.language import written_language
from shop.limits import busy_text


class HeldProcessor:
    """Each turn records that it started, then waits for the test to release it."""

    def __init__(self) -> None:
        self.started: List[str] = []
        self.running = 0
        self.most = 0
        self.release: Dict[str, asyncio.Event] = {}

    async def handle_message(self, message: UserMessage) -> List[Dict[str, Any]]:
        self.started.append(message.sender_id)
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await self.release.setdefault(message.sender_id, asyncio.Event()).wait()
        finally:
            self.running -= 1
        return [{"recipient_id": message.sender_id, "text": "ok"}]


@pytest.fixture
def no_door() -> Iterator[None]:
    """Rasa's own ``handle_message`` for the test (ops.resilience may have put a door in)."""
    installed = Agent.handle_message
    admission.uninstall()
    try:
        yield
    finally:
        Agent.handle_message = installed  # type: ignore[method-assign]


@pytest.fixture
def door_of_two(no_door: None) -> admission.Door:
    door = admission.install(2)
    assert door is not None
    return door


def _agent(processor: HeldProcessor) -> Agent:
    agent = Agent(
        domain=Domain.empty(),
        tracker_store=InMemoryTrackerStore(Domain.empty()),
        lock_store=InMemoryLockStore(),
    )
    agent.processor = processor  # type: ignore[assignment]
    return agent


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_a_crowd_runs_two_at_a_time_in_arrival_order(door_of_two: admission.Door) -> None:
    processor = HeldProcessor()
    agent = _agent(processor)
    senders = [f"s{i}" for i in range(6)]
    turns = [asyncio.create_task(agent.handle_message(UserMessage("hi", sender_id=s))) for s in senders]
    await _settle()
    assert processor.started == ["s0", "s1"]
    for sender in senders:
        processor.release.setdefault(sender, asyncio.Event()).set()
        await _settle()
    answers = await asyncio.gather(*turns)
    assert processor.started == senders
    assert processor.most == 2
    assert [a[0]["recipient_id"] for a in answers] == senders  # type: ignore[index]


async def test_a_waiting_turn_holds_no_conversation_lock(door_of_two: admission.Door) -> None:
    processor = HeldProcessor()
    agent = _agent(processor)
    turns = [
        asyncio.create_task(agent.handle_message(UserMessage("hi", sender_id=f"s{i}"))) for i in range(3)
    ]
    await _settle()
    locks = agent.lock_store.conversation_locks  # type: ignore[attr-defined]
    assert set(locks) == {"s0", "s1"}  # s2 waits at the door, not in the lock queue
    for event in [processor.release.setdefault(f"s{i}", asyncio.Event()) for i in range(3)]:
        event.set()
    await asyncio.gather(*turns)


async def test_a_failing_turn_gives_its_place_back(door_of_two: admission.Door) -> None:
    class Failing(HeldProcessor):
        async def handle_message(self, message: UserMessage) -> List[Dict[str, Any]]:
            raise RuntimeError("boom")

    agent = _agent(Failing())
    for _ in range(3):  # more failures than places: each must release its place
        with pytest.raises(RuntimeError):
            await asyncio.wait_for(agent.handle_message(UserMessage("hi", sender_id="s")), 1)


def test_zero_installs_no_door_and_install_is_idempotent(no_door: None) -> None:
    before = Agent.handle_message
    assert admission.install(0) is None
    assert Agent.handle_message is before
    first = admission.install(3)
    try:
        assert admission.install(5) is first
        assert first is not None and first.size == 3
    finally:
        admission.uninstall()
    assert Agent.handle_message is before
    assert admission.install(0) is None


def test_a_door_lets_at_least_one_turn_through() -> None:
    with pytest.raises(ValueError):
        admission.Door(0)


def test_the_limit_is_the_setting_and_a_negative_one_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(admission.SETTING, "")
    assert admission.limit() == 8  # the documented default
    monkeypatch.setenv(admission.SETTING, "3")
    assert admission.limit() == 3
    monkeypatch.setenv(admission.SETTING, "-1")
    with pytest.raises(ValueError):
        admission.limit()


def test_the_rasa_server_puts_the_door_in() -> None:
    import ops.resilience  # noqa: F401  (what credentials.yml loads in every Rasa process)

    door = getattr(Agent.handle_message, "_shop_admission", None)
    assert isinstance(door, admission.Door) and door.size == admission.limit()


async def test_a_flood_of_one_conversation_holds_one_place(door_of_two: admission.Door) -> None:
    """Twenty messages at once to one conversation, then one shopper: the shopper starts at once
    (the flood's turns beyond its burst are answered at once, without a turn)."""
    processor = HeldProcessor()
    agent = _agent(processor)
    flood = [
        asyncio.create_task(agent.handle_message(UserMessage("hi", sender_id="flood"))) for _ in range(20)
    ]
    await _settle()
    shopper = asyncio.create_task(
        agent.handle_message(UserMessage("where is my order?", sender_id="shopper"))
    )
    await _settle()
    assert processor.started == ["flood", "shopper"]  # the flood's other 19 wait in its own line
    processor.release.setdefault("shopper", asyncio.Event()).set()
    await shopper
    processor.release.setdefault("flood", asyncio.Event()).set()
    await asyncio.gather(*flood)
    cap = admission.MAX_WAITING_PER_CONVERSATION
    assert processor.started.count("flood") == cap + 1 and processor.most == 2
    assert door_of_two.in_line() == 0  # nothing kept once the turns are done


def _from(source: str, sender: str, text: str = "hi", output: Any = None) -> UserMessage:
    return UserMessage(text, output_channel=output, sender_id=sender, metadata={"source": source})


async def test_waiting_turns_get_places_source_by_source(door_of_two: admission.Door) -> None:
    """One client opening ten conversations at once, then a shopper from elsewhere: the shopper
    gets the first place that frees, not the eleventh."""
    processor = HeldProcessor()
    agent = _agent(processor)
    flood = [f"f{i}" for i in range(10)]
    turns = [asyncio.create_task(agent.handle_message(_from("10.0.0.9", s))) for s in flood]
    await _settle()
    shopper = asyncio.create_task(agent.handle_message(_from("10.0.0.1", "shopper")))
    await _settle()
    assert processor.started == ["f0", "f1"]
    processor.release.setdefault("f0", asyncio.Event()).set()
    await _settle()
    assert processor.started == ["f0", "f1", "shopper"]
    for sender in ["shopper", *flood]:
        processor.release.setdefault(sender, asyncio.Event()).set()
        await _settle()
    await asyncio.gather(shopper, *turns)
    assert processor.started == ["f0", "f1", "shopper", *flood[2:]]  # the client's own order is kept
    assert processor.most == 2


async def test_sources_take_turns_round_robin(door_of_two: admission.Door) -> None:
    processor = HeldProcessor()
    agent = _agent(processor)
    first = [asyncio.create_task(agent.handle_message(_from("x", f"hold{i}"))) for i in range(2)]
    await _settle()
    waiting = [("c", "c1"), ("a", "a1"), ("a", "a2"), ("a", "a3"), ("b", "b1"), ("b", "b2")]
    turns = [asyncio.create_task(agent.handle_message(_from(src, s))) for src, s in waiting]
    await _settle()
    for sender in ["hold0", "hold1", "c1", "a1", "b1", "a2", "b2", "a3"]:
        processor.release.setdefault(sender, asyncio.Event()).set()
        await _settle()
    await asyncio.gather(*first, *turns)
    assert processor.started[2:] == ["c1", "a1", "b1", "a2", "b2", "a3"]  # ties: arrival order


async def test_a_cancelled_waiting_turn_leaves_no_place_taken(door_of_two: admission.Door) -> None:
    processor = HeldProcessor()
    agent = _agent(processor)
    held = [asyncio.create_task(agent.handle_message(_from("x", f"h{i}"))) for i in range(2)]
    await _settle()
    gone = asyncio.create_task(agent.handle_message(_from("y", "gone")))
    later = asyncio.create_task(agent.handle_message(_from("z", "later")))
    await _settle()
    gone.cancel()  # the client hung up while waiting
    await _settle()
    processor.release.setdefault("h0", asyncio.Event()).set()
    await _settle()
    assert processor.started == ["h0", "h1", "later"]
    for sender in ["h1", "later"]:
        processor.release.setdefault(sender, asyncio.Event()).set()
    await asyncio.gather(*held, later)
    with pytest.raises(asyncio.CancelledError):
        await gone
    again = [asyncio.create_task(agent.handle_message(_from("x", f"n{i}"))) for i in range(2)]
    await _settle()
    assert processor.running == 2  # both places free again
    for i in range(2):
        processor.release.setdefault(f"n{i}", asyncio.Event()).set()
    await asyncio.gather(*again)


async def test_a_conversation_beyond_its_burst_is_answered_at_once(door_of_two: admission.Door) -> None:
    """A message behind MAX_WAITING_PER_CONVERSATION waiting ones hears the busy text at once,
    without reaching the processor; the earlier ones are all answered."""
    from rasa.core.channels.channel import CollectingOutputChannel

    processor = HeldProcessor()
    agent = _agent(processor)
    cap = admission.MAX_WAITING_PER_CONVERSATION
    outputs = [CollectingOutputChannel() for _ in range(cap + 3)]
    texts = ["hi"] * (cap + 2) + ["你好"]
    turns = [
        asyncio.create_task(agent.handle_message(_from("x", "flood", text, out)))
        for text, out in zip(texts, outputs, strict=True)
    ]
    await _settle()
    refused = [out.messages for out in outputs[cap + 1 :]]
    assert refused == [
        [{"recipient_id": "flood", "text": busy_text("en")}],
        [{"recipient_id": "flood", "text": busy_text("zh")}],
    ]
    processor.release.setdefault("flood", asyncio.Event()).set()
    answers = await asyncio.gather(*turns)
    assert processor.started == ["flood"] * (cap + 1)
    assert all(answers[: cap + 1]) and answers[cap + 1 :] == [None, None]
    assert written_language("where is 104587?") == "en" and written_language("还在吗") == "zh"
