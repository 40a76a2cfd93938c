"""ops.socketio_bus: one worker's emit reaches another worker process over the bus."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import socket
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any, Dict

from harness.processes import wait_until
from ops.socketio_bus import LocalBus, bus_dir, server_options

CTX = multiprocessing.get_context("fork")
TIMEOUT = 30.0


def listen_once(directory: Path, ready: Event, received: Any) -> None:
    """A worker's listening side: bind, say so, pass on the first message."""

    async def run() -> None:
        bus = LocalBus(directory)
        messages = bus._listen()
        first = asyncio.ensure_future(messages.__anext__())
        own = directory / f"{os.getpid()}.sock"
        await asyncio.get_running_loop().run_in_executor(
            None, wait_until, own.exists, TIMEOUT, "the bus socket bound"
        )
        ready.set()
        received.put(json.loads(await asyncio.wait_for(first, TIMEOUT)))
        await messages.aclose()

    asyncio.run(run())


def test_a_message_published_in_one_process_arrives_in_another(tmp_path: Path) -> None:
    directory = tmp_path / "bus"
    ready, received = CTX.Event(), CTX.Queue()
    listener = CTX.Process(target=listen_once, args=(directory, ready, received), daemon=True)
    listener.start()
    try:
        assert ready.wait(TIMEOUT)
        message: Dict[str, Any] = {"method": "emit", "event": "bot_uttered", "room": "socketio:abc",
                                   "data": [{"text": "a person writes"}], "host_id": "other"}  # fmt: skip
        asyncio.run(LocalBus(directory)._publish(message))
        assert received.get(timeout=TIMEOUT) == message
    finally:
        listener.join(TIMEOUT)
        if listener.is_alive():
            listener.kill()
    assert listener.exitcode == 0
    assert not (directory / f"{listener.pid}.sock").exists()


def test_a_dead_workers_socket_is_dropped(tmp_path: Path) -> None:
    directory = tmp_path / "bus"
    directory.mkdir(mode=0o700)
    stale = directory / "999999.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(stale))
    sock.close()  # bound, then its process went away: the file stays, nobody reads it
    asyncio.run(LocalBus(directory)._publish({"method": "emit", "host_id": "x"}))
    assert not stale.exists()


def test_one_worker_keeps_python_socketio_defaults(tmp_path: Path) -> None:
    assert server_options({"SANIC_WORKERS": "0"}) == {}
    assert server_options({"SANIC_WORKERS": "1"}) == {}
    options = server_options({"SANIC_WORKERS": "2"})
    assert options["transports"] == ["websocket"] and isinstance(options["client_manager"], LocalBus)
    assert len(str(bus_dir(tmp_path / ("x" * 200) / "locks.db") / "4194304.sock")) < 100


def report_host_id(bus: LocalBus, ids: Any) -> None:
    ids.put(bus.host_id)


def test_each_forked_worker_has_its_own_host_id(tmp_path: Path) -> None:
    """Built before the fork (as Rasa does), the bus must not give the workers one id:
    python-socketio drops messages that carry its own."""
    bus, ids = LocalBus(tmp_path / "bus"), CTX.Queue()
    workers = [CTX.Process(target=report_host_id, args=(bus, ids)) for _ in range(2)]
    for worker in workers:
        worker.start()
    seen = {ids.get(timeout=TIMEOUT) for _ in workers}
    for worker in workers:
        worker.join(TIMEOUT)
    assert len(seen | {bus.host_id}) == 3
