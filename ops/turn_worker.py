"""A turn's blocking steps on one worker thread per Rasa process, so the event loop stays free.

Rasa's ``MessageProcessor`` is async, but the costly steps of a turn are synchronous inside
it: the NLU graph (``_parse_message_with_graph``), each next-action prediction
(``predict_next_with_tracker_if_should``, called from ``_run_prediction_loop``) and the SQL
tracker store's reads and writes (``get_tracker`` / ``save_tracker``: coroutines without a
single real ``await``). Each blocks the process's event loop for its whole length, ~50 ms a
turn here. Measured at stop 21 (the flood test, now ``tests/e2e/test_flood.py``): forty
messages at once to one conversation, then another shopper's question, on one Rasa process:
the shopper was answered after 31-34 of the flood's turns (1.5-2.5 s instead of 0.1 s),
with or without the admission door. Every other request needs several loop passes (accept,
read the body, route, take the conversation's lock) and each waited behind a whole flood turn.

:func:`install` runs those steps on :class:`TurnWorker`: **one** thread per process with its
own event loop. One thread, not a pool: the model is never run by two threads at once (the
NLU components and TED keep per-call state, and two threads would only share the same core
budget). Steps take it one at a time, round robin by client (:data:`CLIENT`, set by
ops/admission.py from ``metadata["source"]``), so a turn waits behind at most one step of
each other client with work in flight, not behind whole turns, and not behind every turn
of a client that opened many conversations at once. TensorFlow, numpy and the
database drivers release the GIL while they compute or wait, so the main loop meanwhile
accepts connections, reads bodies, routes, answers the cheap cases (ops/input_guard.py,
ops/admission.py) and sends replies.

Safe because of what runs where:

* the tracker a step reads or changes belongs to the turn that awaits the step, and Rasa's
  conversation lock (plus the admission door's per-conversation line) gives a conversation
  one turn at a time;
* the tracker store calls are moved only for an SQL store without an event broker (this
  assistant's ``ops.tracker_store.EnvSQLTrackerStore``): its coroutines await nothing real,
  so they can run on the worker's loop. Any other store (or one with a broker, whose publish
  is real I/O on the main loop) stays where Rasa runs it;
* :data:`MODEL_LOCK` is held around every NLU parse and policy prediction, wherever it is
  called from, so a rare caller still on the main loop (the HTTP API's ``/predict``) never
  runs the model beside the worker.

Measured on one Rasa process (``tests/e2e/test_flood.py``): the flood of one conversation
then overlaps the shopper by 1-2 flood turns (26 before); forty conversations of one client
by 6-7 (39 with this module and a first-come door; round robin by client in both places
fixed that). The crowd benchmark did not regress (docs/performance.md, round 6).

The replaced ``parse_message`` and ``_run_prediction_loop`` are Rasa 3.6's own bodies with the
one blocking call awaited on the worker (and without their debug log lines); :func:`install`
refuses another Rasa minor version.
The worker starts on first use, in the process that uses it (Sanic forks its workers after
the patch is installed). Installed by ops/resilience.py.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import os
import threading
from collections import deque
from typing import Any, Awaitable, Callable, Coroutine, Deque, Dict, Iterable, Optional, Tuple, TypeVar

import rasa
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.processor import MessageProcessor
from rasa.core.tracker_store import SQLTrackerStore
from rasa.exceptions import ActionLimitReached
from rasa.shared.core.constants import ACTION_EXTRACT_SLOTS
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException

__all__ = [
    "CLIENT",
    "IN_PLACE",
    "MODEL_LOCK",
    "TurnWorker",
    "attach",
    "install",
    "least_recently_served",
    "offloads_store",
    "worker",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")
_MARK = "_shop_turn_worker"
_ORIGINALS = "_shop_turn_worker_originals"
#: Held around every NLU parse and policy prediction: the model runs on one thread at a time.
MODEL_LOCK = threading.RLock()
#: The Rasa minor version whose processor bodies are replicated here.
RASA_MINOR = "3.6."
#: The client (``metadata["source"]``) whose turn the current task runs; ops/admission.py sets it.
CLIENT: contextvars.ContextVar[str] = contextvars.ContextVar("shop_turn_client", default="")
#: Clients whose last step is remembered for the round robin, at most (idle ones are forgotten).
MAX_CLIENTS_REMEMBERED = 4096
#: True while the server starts (:func:`attach`): steps then run in place on the calling loop.
IN_PLACE = {"on": False}
#: A step waiting for the worker: its coroutine, the caller's future, the caller's loop.
_Step = Tuple[Coroutine[Any, Any, Any], "asyncio.Future[Any]", asyncio.AbstractEventLoop]


def least_recently_served(served: Iterable[Tuple[str, int]]) -> str:
    """The client whose last turn (number ``n``; -1 never) was served longest ago; ties in the
    order given (arrival order). The round robin of this worker and of ops/admission.py's door."""
    *_, client = min((n, i, c) for i, (c, n) in enumerate(served))
    return client


class TurnWorker:
    """One daemon thread running an event loop, and the steps waiting for it, per client.

    Steps run one at a time. The next one is the oldest step of the client (:data:`CLIENT`)
    whose last step started longest ago: round robin by client, so a client with many turns
    in flight (many conversations at once) gets one step in turn with each other client,
    not one per turn it holds. The worker thread picks the next step itself, so it never
    waits for the main loop between steps.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._lock = threading.Lock()
        self._lanes: Dict[str, Deque[_Step]] = {}
        self._served: Dict[str, int] = {}  # client -> number of the last step it started
        self._started = 0
        self._busy = False
        self.thread = threading.Thread(target=self.loop.run_forever, name="shop-turn-worker", daemon=True)
        self.thread.start()

    def on_worker(self) -> bool:
        """True when called from the worker thread itself (then a step runs in place)."""
        return threading.current_thread() is self.thread

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro`` (one that awaits nothing real) run on the worker's loop, in turn."""
        if self.on_worker() or IN_PLACE["on"]:
            return await coro
        caller = asyncio.get_running_loop()
        done: asyncio.Future[T] = caller.create_future()
        with self._lock:
            self._lanes.setdefault(CLIENT.get(), deque()).append((coro, done, caller))
            start, self._busy = not self._busy, True
        if start:
            self.loop.call_soon_threadsafe(self._next)
        return await done

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Await ``fn(*args)`` run on the worker thread, in turn."""

        async def step() -> T:
            return fn(*args)

        return await self.run(step())

    def waiting(self) -> int:
        """Steps waiting for the worker (not the running one)."""
        with self._lock:
            return sum(len(lane) for lane in self._lanes.values())

    def _pick(self) -> Optional[_Step]:
        """The next step (round robin by client), or None and the worker idle; under the lock."""
        if not self._lanes:
            self._busy = False
            return None
        client = least_recently_served((c, self._served.get(c, -1)) for c in self._lanes)
        lane = self._lanes[client]
        step = lane.popleft()
        if not lane:
            del self._lanes[client]
        self._served[client] = self._started
        self._started += 1
        if len(self._served) > MAX_CLIENTS_REMEMBERED:  # forget idle clients (they come back first)
            self._served = {c: n for c, n in self._served.items() if c in self._lanes}
        return step

    def _next(self) -> None:
        """On the worker thread: start the next step, if any."""
        with self._lock:
            step = self._pick()
        if step is None:
            return
        coro, done, caller = step
        task = self.loop.create_task(coro)
        task.add_done_callback(lambda finished: self._finished(finished, done, caller))

    def _finished(self, task: asyncio.Task, done: asyncio.Future, caller: asyncio.AbstractEventLoop) -> None:
        try:
            caller.call_soon_threadsafe(_settle, done, task)
        except RuntimeError:  # the caller's loop is closed: nobody waits for this step any more
            logger.debug("event=turn_worker_result_dropped")
        self._next()

    def stop(self) -> None:
        """Stop the worker's loop (tests); steps still queued are dropped."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


def _settle(done: asyncio.Future, task: asyncio.Task) -> None:
    """On the caller's loop: hand the step's outcome to the turn awaiting it."""
    if done.done():  # the turn was cancelled meanwhile
        return
    if task.cancelled():
        done.cancel()
    elif task.exception() is not None:
        done.set_exception(task.exception())  # type: ignore[arg-type]
    else:
        done.set_result(task.result())


_workers: Dict[int, TurnWorker] = {}
_workers_lock = threading.Lock()


def worker() -> TurnWorker:
    """This process's worker, started on first use (after Sanic's fork, never inherited)."""
    pid = os.getpid()
    found = _workers.get(pid)
    if found is None:
        with _workers_lock:
            found = _workers.get(pid)
            if found is None:
                found = _workers[pid] = TurnWorker()
                logger.info("event=turn_worker_started pid=%d", pid)
    return found


def attach(bp: Any) -> None:
    """Run steps in place (on the loop, as Rasa does) while the server starts, then on the worker.

    Call after ``warm_up.attach`` and ``gc_freeze.attach``: Sanic runs ``after_server_start``
    listeners in the order they were added, so the warm-up's parses still block the loop and
    ``/status`` answers only once the process is warm and frozen, as before this module.
    """

    @bp.listener("before_server_start")
    async def _in_place(app: Any, loop: Any) -> None:
        IN_PLACE["on"] = True

    @bp.listener("after_server_start")
    async def _on_worker(app: Any, loop: Any) -> None:
        IN_PLACE["on"] = False


def offloads_store(store: Any) -> bool:
    """Whether ``store``'s calls may run on the worker: an SQL store under Rasa's wrappers,
    with no event broker at any layer (see the module docstring)."""
    seen = 0
    while store is not None and seen < 5:
        if getattr(store, "event_broker", None) is not None:
            return False
        if isinstance(store, SQLTrackerStore):
            return True
        store = getattr(store, "_tracker_store", None)  # AwaitableTrackerStore, FailSafeTrackerStore
        seen += 1
    return False


def _locked(original: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(original)
    def locked(*args: Any, **kwargs: Any) -> T:
        with MODEL_LOCK:
            return original(*args, **kwargs)

    return locked


async def _parse_message(
    self: MessageProcessor,
    message: UserMessage,
    tracker: Optional[DialogueStateTracker] = None,
    only_output_properties: bool = True,
) -> Dict[str, Any]:
    """Rasa 3.6's ``MessageProcessor.parse_message`` with the NLU graph run on the worker."""
    if self.http_interpreter:
        parse_data = await self.http_interpreter.parse(message)
    else:
        if tracker is None:
            tracker = DialogueStateTracker.from_events(message.sender_id, [])
        graph = self._parse_message_with_graph
        parse_data = await worker().call(graph, message, tracker, only_output_properties)
    self._update_full_retrieval_intent(parse_data)
    self._check_for_unseen_features(parse_data)
    return parse_data


async def _run_prediction_loop(
    self: MessageProcessor, output_channel: OutputChannel, tracker: DialogueStateTracker
) -> None:
    """Rasa 3.6's ``MessageProcessor._run_prediction_loop`` with each prediction on the worker."""
    should_predict_another_action = True
    while should_predict_another_action and self._should_handle_message(tracker):
        try:
            action, prediction = await worker().call(self.predict_next_with_tracker_if_should, tracker)
        except ActionLimitReached:
            logger.warning("Circuit breaker tripped. Stopped predicting more actions for sender '%s'.",
                           tracker.sender_id)  # fmt: skip
            if self.on_circuit_break:
                self.on_circuit_break(tracker, output_channel, self.nlg)
            break
        if prediction.is_end_to_end_prediction:
            logger.debug("end-to-end prediction: %s runs again", ACTION_EXTRACT_SLOTS)
            tracker = await self.run_action_extract_slots(output_channel, tracker)
        should_predict_another_action = await self._run_action(
            action, tracker, output_channel, self.nlg, prediction
        )


def _store_on_worker(original: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """A processor method whose only blocking work is the tracker store's, run on the worker."""

    @functools.wraps(original)
    async def moved(self: MessageProcessor, *args: Any) -> T:
        if not offloads_store(self.tracker_store):
            return await original(self, *args)
        return await worker().run(original(self, *args))  # type: ignore[arg-type]

    return moved


def _patches() -> Tuple[Tuple[Any, str, Callable[[Any], Any]], ...]:
    return (
        (MessageProcessor, "_parse_message_with_graph", _locked),
        (MessageProcessor, "_predict_next_with_tracker", _locked),
        (MessageProcessor, "parse_message", lambda _original: _parse_message),
        (MessageProcessor, "_run_prediction_loop", lambda _original: _run_prediction_loop),
        (MessageProcessor, "get_tracker", _store_on_worker),
        (MessageProcessor, "save_tracker", _store_on_worker),
    )


def install() -> None:
    """Move the blocking steps onto the worker (idempotent; Rasa 3.6 only)."""
    if getattr(MessageProcessor, _MARK, False):
        return
    if not rasa.__version__.startswith(RASA_MINOR):
        found = rasa.__version__
        raise RasaException(f"ops/turn_worker.py replicates Rasa {RASA_MINOR}x code, found {found}")
    originals: Dict[str, Any] = {}
    for owner, name, wrap in _patches():
        originals[name] = owner.__dict__[name]
        setattr(owner, name, wrap(getattr(owner, name)))
    setattr(MessageProcessor, _ORIGINALS, originals)
    setattr(MessageProcessor, _MARK, True)


def uninstall() -> None:
    """Put Rasa's methods back (tests)."""
    originals = MessageProcessor.__dict__.get(_ORIGINALS)
    if not originals:
        return
    for name, original in originals.items():
        setattr(MessageProcessor, name, original)
    delattr(MessageProcessor, _ORIGINALS)
    delattr(MessageProcessor, _MARK)
