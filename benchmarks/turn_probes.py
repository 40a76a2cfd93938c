"""Timers inside a running Rasa server or action server, for benchmarks/profile_turn.py.

``python benchmarks/turn_probes.py rasa -- run --enable-api ...`` starts ``rasa`` with timers
on the parts of a turn (issue 13); ``... actions -- --port N`` does the same for
``python -m actions.server``. Nothing in the product imports this module.

Each timer keeps its samples per name: the wall time, and the CPU time of the thread that
ran it (``time.thread_time``; for a coroutine, the loop thread's CPU from its start to its end,
which is the part's own CPU when turns are sequential, as in ``profile_turn.py --sequential``,
and includes other coroutines' work under a crowd). On SIGUSR1 the process writes
its figures as JSON to ``$TURN_PROBES_OUT.<n>`` (n = 1, 2, ...; written to a temporary name
and renamed, so a reader never sees half a file) and starts again from zero, so one server
can be measured phase by phase.

Rasa side: the whole turn (``Agent.handle_message``), the lock store (ticket, acquire,
cleanup), tracker store retrieve/save, the NLU graph per message and each of its nodes, each
policy prediction and each policy node, ``action_extract_slots``, each remote action call and
its HTTP request, every SQL statement, and the event loop's lag (how late a 10 ms sleep
wakes up: the time any awaiting coroutine waits for the loop to be free) and every garbage
collection per generation (``TURN_PROBES_GC_FREEZE=1``: ``gc.freeze()`` after the first turn,
an experiment). Action server side:
each action's run in its worker thread, the wait for a free worker, every SQL statement, and
each call's body size in bytes (``call_bytes.<action>``: the tracker, and the domain when Rasa
sends it).
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
LAG_PERIOD = 0.01  # seconds the loop-lag probe sleeps between samples
MAX_SAMPLES = 200_000  # per name, so a long run cannot grow without bound


class Probes:
    """Named timings, thread-safe, dumped and reset on SIGUSR1."""

    def __init__(self, out: str) -> None:
        self.out = out
        self.lock = threading.RLock()  # RLock: the signal handler may interrupt a holder
        self.samples: Dict[str, List[float]] = {}
        self.cpu: Dict[str, List[float]] = {}
        self.dumps = 0

    def add(self, name: str, seconds: float, cpu: Optional[float] = None) -> None:
        """Record one timing of ``name`` (wall seconds, and the thread's CPU seconds if given)."""
        with self.lock:
            bucket = self.samples.setdefault(name, [])
            if len(bucket) < MAX_SAMPLES:
                bucket.append(seconds)
                if cpu is not None:
                    self.cpu.setdefault(name, []).append(cpu)

    def dump(self, *_: Any) -> None:
        """Write the figures so far to the next numbered file, then start from zero."""
        with self.lock:
            data, cpu, self.samples, self.cpu = self.samples, self.cpu, {}, {}
            self.dumps += 1
            path = f"{self.out}.{self.dumps}"
        import gc

        state = {"pid": os.getpid(), "gc_frozen": gc.get_freeze_count(), "samples": data, "cpu": cpu}
        Path(path + ".tmp").write_text(json.dumps(state))
        os.replace(path + ".tmp", path)


PROBES = Probes(os.environ.get("TURN_PROBES_OUT", f"/tmp/turn_probes.{os.getpid()}"))


def timed_sync(owner: Any, attr: str, name: Callable[..., str]) -> None:
    """Wrap ``owner.attr`` (a plain function) so each call records under ``name(*args)``."""
    original = getattr(owner, attr)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            PROBES.add(name(*args, **kwargs), time.perf_counter() - started, time.thread_time() - cpu)

    setattr(owner, attr, wrapper)


def timed_async(owner: Any, attr: str, name: Callable[..., str]) -> None:
    """Wrap ``owner.attr`` (a coroutine function) so each await records under ``name(*args)``."""
    original = getattr(owner, attr)

    @functools.wraps(original)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return await original(*args, **kwargs)
        finally:
            PROBES.add(name(*args, **kwargs), time.perf_counter() - started, time.thread_time() - cpu)

    setattr(owner, attr, wrapper)


def fixed(label: str) -> Callable[..., str]:
    """A name function that always gives ``label``."""
    return lambda *a, **k: label


def probe_gc() -> None:
    """Time every garbage collection of this process, per generation (``gc.callbacks``)."""
    import gc

    started: Dict[str, float] = {}

    def callback(phase: str, info: Dict[str, Any]) -> None:
        if phase == "start":
            started["t"] = time.perf_counter()
        elif "t" in started:
            PROBES.add(f"gc.gen{info.get('generation')}", time.perf_counter() - started.pop("t"))

    gc.callbacks.append(callback)
    if os.environ.get("TURN_PROBES_GC_FREEZE"):
        # Experiment: move everything alive after the first turn out of the collector's sight.
        def freeze_once() -> None:
            gc.collect()
            gc.freeze()

        PROBES.freeze = freeze_once  # type: ignore[attr-defined]


def probe_sql() -> None:
    """Time every SQL statement of every engine in this process (SQLAlchemy cursor events)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    started: Dict[int, float] = {}

    @event.listens_for(Engine, "before_cursor_execute")
    def before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        started[id(cursor)] = time.perf_counter()

    @event.listens_for(Engine, "after_cursor_execute")
    def after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        began = started.pop(id(cursor), None)
        if began is not None:
            verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "?"
            PROBES.add(f"sql.{verb}", time.perf_counter() - began)


async def loop_lag() -> None:
    """Forever: how late a short sleep wakes up on this loop."""
    while True:
        started = time.perf_counter()
        await asyncio.sleep(LAG_PERIOD)
        PROBES.add("loop.lag", max(0.0, time.perf_counter() - started - LAG_PERIOD))


def start_lag_probe_once() -> None:
    """Start :func:`loop_lag` on the running loop the first time this is called there."""
    loop = asyncio.get_running_loop()
    if not getattr(loop, "_turn_probe_lag", False):
        loop._turn_probe_lag = True  # type: ignore[attr-defined]
        loop.create_task(loop_lag())


def probe_rasa() -> None:
    """The timers of a Rasa server (see the module docstring)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.agent import Agent
    from rasa.core.lock_store import LockStore
    from rasa.core.processor import MessageProcessor
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.engine.graph import GraphNode
    from rasa.utils.endpoints import EndpointConfig

    phase = {"now": "other"}  # "nlu" or "policy" while the graph runs (the loop's thread only)

    def in_phase(label: str, attr: str) -> None:
        original = getattr(MessageProcessor, attr)

        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            before, phase["now"] = phase["now"], label
            started, cpu = time.perf_counter(), time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                PROBES.add(label, time.perf_counter() - started, time.thread_time() - cpu)
                phase["now"] = before

        setattr(MessageProcessor, attr, wrapper)

    in_phase("nlu", "_parse_message_with_graph")
    in_phase("policy", "_predict_next_with_tracker")
    timed_sync(GraphNode, "__call__", lambda node, *a, **k: f"{phase['now']}.node.{node._node_name}")

    original_turn = Agent.handle_message

    @functools.wraps(original_turn)
    async def turn(self: Any, message: Any) -> Any:
        start_lag_probe_once()
        freeze = getattr(PROBES, "freeze", None)
        if freeze is not None:
            PROBES.freeze = None  # type: ignore[attr-defined]
            freeze()
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return await original_turn(self, message)
        finally:
            PROBES.add("turn", time.perf_counter() - started, time.thread_time() - cpu)

    Agent.handle_message = turn  # type: ignore[method-assign]
    timed_sync(LockStore, "issue_ticket", fixed("lock.issue_ticket"))
    timed_async(LockStore, "_acquire_lock", fixed("lock.acquire"))
    timed_sync(LockStore, "cleanup", fixed("lock.cleanup"))
    timed_async(SQLTrackerStore, "retrieve", fixed("tracker_store.retrieve"))
    timed_async(SQLTrackerStore, "save", fixed("tracker_store.save"))
    timed_async(MessageProcessor, "run_action_extract_slots", fixed("action_extract_slots"))
    timed_async(MessageProcessor, "_run_action", lambda self, action, *a, **k: f"run_action.{action.name()}")
    timed_async(RemoteAction, "run", lambda self, *a, **k: f"remote_action.{self.name()}")
    timed_sync(RemoteAction, "_action_call_format", fixed("action_call_format"))
    timed_async(EndpointConfig, "request", fixed("action_http.request"))
    try:  # the pooled action endpoint (ops/action_client.py) has its own request
        from ops.action_client import PooledEndpointConfig

        timed_async(PooledEndpointConfig, "request", fixed("action_http.request"))
    except ImportError:  # a tree from before it
        pass
    probe_sql()
    probe_gc()


def probe_actions() -> None:
    """The timers of the action server (see the module docstring)."""
    from rasa_sdk.executor import ActionExecutor

    from actions.server import ThreadedActionExecutor

    timed_async(ActionExecutor, "run", lambda self, call, *a, **k: f"server_run.{call.get('next_action')}")
    original = ThreadedActionExecutor.run

    @functools.wraps(original)
    async def queued(self: Any, call: Any) -> Any:
        start_lag_probe_once()
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return await original(self, call)
        finally:
            PROBES.add("server_call", time.perf_counter() - started, time.thread_time() - cpu)

    ThreadedActionExecutor.run = queued  # type: ignore[method-assign]
    from actions import server

    original_app = server.create_app

    @functools.wraps(original_app)
    def app_with_sizes(*args: Any, **kwargs: Any) -> Any:
        app = original_app(*args, **kwargs)

        async def body_size(request: Any) -> None:  # bytes, not seconds, under its own name
            if request.path.endswith("/webhook"):
                PROBES.add(f"call_bytes.{(request.json or {}).get('next_action')}", float(len(request.body)))

        app.request_middleware.append(body_size)
        return app

    server.create_app = app_with_sizes
    probe_sql()
    probe_gc()


def main(argv: List[str]) -> None:
    """``rasa -- <rasa args>`` or ``actions -- <actions.server args>``."""
    role, rest = argv[0], argv[argv.index("--") + 1 :] if "--" in argv else argv[1:]
    signal.signal(signal.SIGUSR1, PROBES.dump)
    sys.path.insert(0, str(ROOT))
    if role == "rasa":
        probe_rasa()
        from rasa.__main__ import main as rasa_main

        sys.argv = ["rasa", *rest]
        rasa_main()
    elif role == "actions":
        probe_actions()
        from actions.server import main as actions_main

        actions_main(rest)
    else:
        raise SystemExit(f"unknown role {role!r}: rasa or actions")


if __name__ == "__main__":
    main(sys.argv[1:])
