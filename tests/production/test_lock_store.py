"""The SQLite lock store (ops.lock_store) across real processes, forked as Sanic forks workers.

Each holder is its own process with its own store on one lock file. Events from
``multiprocessing`` say when a holder is inside the lock; the store's own table says when a
waiter has queued its ticket. The in-memory store is the control: per process, it lets a
second process in while the first holds the lock (why Rasa refuses workers with it).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import time
from multiprocessing.context import ForkContext
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any, Callable, Iterator, List

import pytest
from rasa.core.lock_store import InMemoryLockStore, LockStore
from rasa.core.utils import number_of_sanic_workers
from rasa.utils.endpoints import EndpointConfig, read_endpoint_config

from harness.env import default_env
from harness.paths import ROOT
from harness.processes import wait_until
from ops.lock_store import SQLiteLockStore, default_path

CTX: ForkContext = multiprocessing.get_context("fork")
#: Seconds a step may take on a busy machine (never waited out when things work).
TIMEOUT = 60.0


def make_store(kind: str, path: Path) -> LockStore:
    """A fresh store in this process: the SQLite file at ``path``, or Rasa's in-memory one."""
    return SQLiteLockStore(path=path) if kind == "sqlite" else InMemoryLockStore()


def hold(kind: str, path: Path, conversation: str, inside: Event, release: Event, out: Event) -> None:
    """Take the lock, say so, keep it until ``release``, then say it is out."""

    async def run() -> None:
        store = make_store(kind, path)
        async with store.lock(conversation):
            inside.set()
            await asyncio.get_running_loop().run_in_executor(None, release.wait, TIMEOUT)
        out.set()

    asyncio.run(run())


def hold_until_killed(path: Path, conversation: str, lifetime: float, inside: Event) -> None:
    """Take the lock with a short lifetime and never give it back (killed from outside)."""

    async def run() -> None:
        store = SQLiteLockStore(path=path)
        async with store.lock(conversation, lock_lifetime=lifetime):
            inside.set()
            await asyncio.get_running_loop().run_in_executor(None, CTX.Event().wait)

    asyncio.run(run())


def enter(kind: str, path: Path, conversation: str, others_out: Event, inside: Event, report: Any) -> None:
    """Take the lock; report (the time, whether the other holder was out) and let go."""

    async def run() -> None:
        store = make_store(kind, path)
        async with store.lock(conversation):
            report.put((time.time(), others_out.is_set()))
            inside.set()

    asyncio.run(run())


def hammer(path: Path, conversation: str, rounds: int, marker: Path, counter: Path) -> None:
    """``rounds`` times: inside the lock, claim ``marker`` exclusively and bump ``counter``.

    ``O_EXCL`` fails if another process is inside at the same moment: that is recorded in the
    counter file's sibling ``.overlaps``. The read-then-write of the counter loses updates
    unless the sections are serialized.
    """

    async def run() -> None:
        store = SQLiteLockStore(path=path)
        for _ in range(rounds):
            async with store.lock(conversation):
                try:
                    fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                except FileExistsError:
                    with open(f"{counter}.overlaps", "a") as f:
                        f.write("x")
                    fd = -1
                value = int(counter.read_text() or 0)
                await asyncio.sleep(0)  # let the loop (and so the other processes) run here
                counter.write_text(str(value + 1))
                if fd >= 0:
                    os.close(fd)
                    marker.unlink()

    asyncio.run(run())


@pytest.fixture
def processes() -> Iterator[Callable[..., multiprocessing.process.BaseProcess]]:
    """Start forked processes; every one still alive at the end is killed and reaped."""
    started: List[multiprocessing.process.BaseProcess] = []

    def start(target: Callable[..., None], *args: Any) -> multiprocessing.process.BaseProcess:
        proc = CTX.Process(target=target, args=args, daemon=True)
        proc.start()
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.is_alive():
            proc.kill()
        proc.join(TIMEOUT)


def tickets(path: Path, conversation: str) -> int:
    """Live tickets of ``conversation`` in the lock file (read from this process)."""
    lock = SQLiteLockStore(path=path).get_lock(conversation)
    return len(lock.tickets) if lock else 0


def test_two_processes_on_one_conversation_take_turns(tmp_path: Path, processes: Any) -> None:
    path = tmp_path / "locks.db"
    a_in, a_release, a_out, b_in = CTX.Event(), CTX.Event(), CTX.Event(), CTX.Event()
    report = CTX.Queue()
    processes(hold, "sqlite", path, "shopper-1", a_in, a_release, a_out)
    assert a_in.wait(TIMEOUT)
    processes(enter, "sqlite", path, "shopper-1", a_out, b_in, report)
    wait_until(lambda: tickets(path, "shopper-1") == 2, TIMEOUT, "the second process queued")
    assert not b_in.is_set(), "the second process entered while the first held the lock"
    a_release.set()
    assert b_in.wait(TIMEOUT)
    _, first_was_out = report.get(timeout=TIMEOUT)
    assert first_was_out
    wait_until(lambda: tickets(path, "shopper-1") == 0, TIMEOUT, "both tickets gone")


def test_in_memory_store_does_not_serialize_processes(tmp_path: Path, processes: Any) -> None:
    """The control: the same two processes with Rasa's in-memory store overlap."""
    a_in, a_release, a_out, b_in = CTX.Event(), CTX.Event(), CTX.Event(), CTX.Event()
    report = CTX.Queue()
    processes(hold, "memory", tmp_path / "unused.db", "shopper-1", a_in, a_release, a_out)
    assert a_in.wait(TIMEOUT)
    processes(enter, "memory", tmp_path / "unused.db", "shopper-1", a_out, b_in, report)
    assert b_in.wait(TIMEOUT)
    _, first_was_out = report.get(timeout=TIMEOUT)
    assert not first_was_out
    a_release.set()


def test_different_conversations_do_not_wait(tmp_path: Path, processes: Any) -> None:
    path = tmp_path / "locks.db"
    a_in, a_release, a_out, b_in = CTX.Event(), CTX.Event(), CTX.Event(), CTX.Event()
    report = CTX.Queue()
    processes(hold, "sqlite", path, "shopper-1", a_in, a_release, a_out)
    assert a_in.wait(TIMEOUT)
    processes(enter, "sqlite", path, "shopper-2", a_out, b_in, report)
    assert b_in.wait(TIMEOUT), "another conversation waited for shopper-1's lock"
    _, first_was_out = report.get(timeout=TIMEOUT)
    assert not first_was_out
    a_release.set()
    assert a_out.wait(TIMEOUT)


def test_a_crashed_holders_lock_expires(tmp_path: Path, processes: Any) -> None:
    path = tmp_path / "locks.db"
    lifetime = 2.0
    a_in, b_in, never = CTX.Event(), CTX.Event(), CTX.Event()
    report = CTX.Queue()
    holder = processes(hold_until_killed, path, "shopper-1", lifetime, a_in)
    assert a_in.wait(TIMEOUT)
    held = SQLiteLockStore(path=path).get_lock("shopper-1")
    assert held is not None
    expires = held.tickets[0].expires
    os.kill(holder.pid, signal.SIGKILL)
    holder.join(TIMEOUT)
    processes(enter, "sqlite", path, "shopper-1", never, b_in, report)
    assert b_in.wait(TIMEOUT), "the crashed holder's lock never expired"
    entered, _ = report.get(timeout=TIMEOUT)
    assert entered >= expires


def test_many_processes_one_conversation_never_overlap(tmp_path: Path, processes: Any) -> None:
    path, marker, counter = tmp_path / "locks.db", tmp_path / "inside", tmp_path / "counter"
    counter.write_text("0")
    workers, rounds = 4, 25
    procs = [processes(hammer, path, "shopper-1", rounds, marker, counter) for _ in range(workers)]
    for proc in procs:
        proc.join(TIMEOUT * 2)
        assert proc.exitcode == 0
    assert not Path(f"{counter}.overlaps").exists()
    assert int(counter.read_text()) == workers * rounds
    assert tickets(path, "shopper-1") == 0


def test_rasa_starts_workers_with_the_default_lock_store(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """endpoints.yml with config/defaults.env: Rasa builds this store and allows 2 workers."""
    env = default_env()
    env.pop("SANIC_WORKERS", None)
    env.update({"TRACKER_DB": str(tmp_path / "tracker.db"), "SANIC_WORKERS": "2"})
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = read_endpoint_config(str(ROOT / "endpoints.yml"), "lock_store")
    assert isinstance(config, EndpointConfig)
    assert config.type == "ops.lock_store.SQLiteLockStore"
    store = LockStore.create(config)
    assert isinstance(store, SQLiteLockStore)
    assert store.path == tmp_path / "tracker-locks.db" == default_path(env)
    assert number_of_sanic_workers(config) == 2
    monkeypatch.setenv("LOCK_STORE_TYPE", "in_memory")
    in_memory = read_endpoint_config(str(ROOT / "endpoints.yml"), "lock_store")
    assert number_of_sanic_workers(in_memory) == 1
