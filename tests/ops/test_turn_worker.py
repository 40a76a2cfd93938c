"""ops.turn_worker: a turn's blocking steps run on one worker thread, so the event loop stays free.

The processor methods are Rasa's own, on a real ``MessageProcessor`` class; only the graph
and the policies are stand-ins (a step that blocks the calling thread the way NLU does), so
where each step runs and what the loop can do meanwhile can be seen.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, List, Tuple

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.core.processor import MessageProcessor
from rasa.core.tracker_store import (
    AwaitableTrackerStore,
    FailSafeTrackerStore,
    InMemoryTrackerStore,
    SQLTrackerStore,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from ops import turn_worker

BLOCK = 0.2  # seconds one stand-in step holds its thread


@pytest.fixture
def installed() -> Iterator[None]:
    """The patch installed for the test (ops.resilience may have installed it already)."""
    was = MessageProcessor.__dict__.get("_shop_turn_worker", False)
    turn_worker.install()
    try:
        yield
    finally:
        if not was:
            turn_worker.uninstall()


class StandIn:
    """What ``MessageProcessor`` methods read of ``self``: a blocking graph, a SQL-less store."""

    http_interpreter = None
    tracker_store = InMemoryTrackerStore(Domain.empty())

    def __init__(self) -> None:
        self.threads: List[str] = []

    def _parse_message_with_graph(self, message: Any, tracker: Any, only: bool) -> dict:
        self.threads.append(threading.current_thread().name)
        time.sleep(BLOCK)  # releases the GIL, as TensorFlow and numpy do
        return {"text": message, "intent": {"name": "greet", "confidence": 1.0}, "entities": []}

    def _update_full_retrieval_intent(self, parse_data: dict) -> None:
        pass

    def _check_for_unseen_features(self, parse_data: dict) -> None:
        pass


async def _ticks_while(work: Any) -> Tuple[Any, int]:
    """``work``'s result and how many 10 ms loop ticks ran while it was awaited."""
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        return await work, ticks
    finally:
        done.set()
        await task


def test_a_parse_runs_on_the_worker_and_the_loop_keeps_running(installed: None) -> None:
    processor = StandIn()
    parse = MessageProcessor.parse_message(processor, "hello", DialogueStateTracker("s", []))  # type: ignore[arg-type]
    parsed, ticks = asyncio.run(_ticks_while(parse))
    assert parsed["intent"]["name"] == "greet"
    assert processor.threads == ["shop-turn-worker"]
    assert ticks >= 5, f"the loop ran only {ticks} ticks of 10 ms during a {BLOCK} s parse"


def test_without_the_patch_the_same_parse_blocks_the_loop() -> None:
    """The stand-in blocks like NLU does: Rasa's own parse_message stops the loop (the test can fail)."""
    processor = StandIn()
    originals = MessageProcessor.__dict__.get("_shop_turn_worker_originals", {})
    original = originals.get("parse_message")
    parse_message = original or MessageProcessor.parse_message
    parse = parse_message(processor, "hello", DialogueStateTracker("s", []))  # type: ignore[arg-type]
    _, ticks = asyncio.run(_ticks_while(parse))
    assert processor.threads == ["MainThread"]
    assert ticks <= 1


def test_steps_of_several_turns_run_one_at_a_time_in_arrival_order() -> None:
    worker = turn_worker.worker()
    running: List[int] = []
    order: List[str] = []

    def step(name: str) -> str:
        running.append(1)
        assert len(running) == 1, "two steps on the worker at once"
        time.sleep(0.02)
        order.append(name)
        running.pop()
        return name

    async def many() -> List[str]:
        return list(await asyncio.gather(*(worker.call(step, f"t{i}") for i in range(6))))

    assert asyncio.run(many()) == [f"t{i}" for i in range(6)]
    assert order == [f"t{i}" for i in range(6)]


def test_a_step_that_raises_raises_in_the_awaiting_turn() -> None:
    def fails() -> None:
        raise KeyError("from the worker")

    with pytest.raises(KeyError, match="from the worker"):
        asyncio.run(turn_worker.worker().call(fails))


def test_only_an_sql_store_without_a_broker_moves(tmp_path: Path) -> None:
    sql = SQLTrackerStore(Domain.empty(), db=str(tmp_path / "t.db"))
    assert turn_worker.offloads_store(AwaitableTrackerStore(FailSafeTrackerStore(sql)))
    assert not turn_worker.offloads_store(AwaitableTrackerStore(InMemoryTrackerStore(Domain.empty())))

    class Broker(EventBroker):
        def publish(self, event: Any) -> None:
            pass

    sql.event_broker = Broker()
    assert not turn_worker.offloads_store(AwaitableTrackerStore(FailSafeTrackerStore(sql)))


def test_the_model_lock_is_held_around_every_parse_and_prediction(installed: None) -> None:
    seen: List[bool] = []

    def probe() -> None:
        seen.append(turn_worker.MODEL_LOCK._is_owned())  # type: ignore[attr-defined]

    turn_worker._locked(probe)()
    probe()
    assert seen == [True, False]
    originals = MessageProcessor.__dict__["_shop_turn_worker_originals"]
    for name in ("_parse_message_with_graph", "_predict_next_with_tracker"):
        assert getattr(MessageProcessor, name).__wrapped__ is originals[name]


def test_steps_are_shared_round_robin_by_client() -> None:
    """Six steps of one client queued, then one of another: the other's goes second, not seventh."""
    worker = turn_worker.worker()
    gate = threading.Event()
    order: List[str] = []

    def step(name: str) -> None:
        if name == "hold":
            gate.wait(5)
        order.append(name)

    async def as_client(client: str, name: str) -> None:
        turn_worker.CLIENT.set(client)
        await worker.call(step, name)

    async def crowd() -> None:
        hold = asyncio.create_task(as_client("flood", "hold"))
        await asyncio.sleep(0.05)  # the worker is busy with "hold"
        flood = [asyncio.create_task(as_client("flood", f"f{i}")) for i in range(6)]
        await asyncio.sleep(0.01)
        other = asyncio.create_task(as_client("shopper", "s"))
        await asyncio.sleep(0.01)
        assert worker.waiting() == 7
        gate.set()
        await asyncio.gather(hold, other, *flood)

    asyncio.run(crowd())
    assert order == ["hold", "s", "f0", "f1", "f2", "f3", "f4", "f5"]


def test_while_the_server_starts_steps_run_in_place(installed: None) -> None:
    """The warm-up's parses block the loop as before, so /status answers once the process is warm."""
    listeners: dict = {}

    class Blueprint:
        def listener(self, event: str) -> Any:
            def add(fn: Any) -> Any:
                listeners[event] = fn
                return fn

            return add

    turn_worker.attach(Blueprint())
    processor = StandIn()
    try:
        asyncio.run(listeners["before_server_start"](None, None))
        asyncio.run(MessageProcessor.parse_message(processor, "hi", DialogueStateTracker("s", [])))  # type: ignore[arg-type]
        asyncio.run(listeners["after_server_start"](None, None))
        asyncio.run(MessageProcessor.parse_message(processor, "hi", DialogueStateTracker("s", [])))  # type: ignore[arg-type]
    finally:
        turn_worker.IN_PLACE["on"] = False
    assert processor.threads == ["MainThread", "shop-turn-worker"]
