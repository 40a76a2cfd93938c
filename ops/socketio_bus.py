"""Socket.io emits shared by the Rasa workers of one machine (Unix datagram sockets).

With several Sanic workers each process has its own python-socketio server, which knows
only the browsers connected to it. A bot message is emitted to the conversation's room by
the process that produced it: for a shopper's own message that is the process holding the
shopper's websocket, but a message sent through Rasa's HTTP API (the review console's
person-to-shopper messages, ``output_channel=latest``) lands on any worker, and a second tab
of the same conversation may sit on another worker. python-socketio solves this with a
pub/sub client manager (Redis, Kafka, AMQP); :class:`LocalBus` is one for a single machine
with no server: every worker binds a datagram socket in one private directory and an emit
is sent to every other worker's socket, which delivers it to its own clients.

Only emits cross processes. Engine.IO sessions do not: with several workers the
long-polling transport (several HTTP requests per session, each may reach another worker)
cannot work, so :func:`server_options` allows websocket only (the widget tries websocket
first). One worker keeps python-socketio's defaults (both transports, no bus).
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import logging
import os
import socket
import tempfile
import uuid
from pathlib import Path
from typing import Any, AsyncIterator, Dict, Optional

from socketio.async_pubsub_manager import AsyncPubSubManager

from ops.lock_store import default_path
from shop import settings as shop_settings

__all__ = ["LocalBus", "bus_dir", "server_options"]

logger = logging.getLogger(__name__)

#: Largest message a worker takes (a carousel is a few KiB; socket.io packets are capped lower).
MAX_DATAGRAM = 256 * 1024


def bus_dir(lock_path: Optional[Path] = None) -> Path:
    """The bus of the processes sharing ``lock_path`` (the lock file names the install).

    A short private folder in the temp dir: socket paths are limited to ~107 bytes.
    """
    key = str((lock_path or default_path()).resolve())
    return Path(tempfile.gettempdir()) / f"shop-sio-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


class LocalBus(AsyncPubSubManager):  # type: ignore[misc]
    """python-socketio client manager whose pub/sub is the other workers' datagram sockets."""

    name = "shop-local-bus"
    _host = ""
    _host_pid = -1

    def __init__(self, directory: Optional[Path] = None, **kwargs: Any) -> None:
        """Publish to (and, once initialized, listen in) ``directory`` (default :func:`bus_dir`)."""
        super().__init__(**kwargs)
        self.directory = directory or bus_dir()
        self._sender: Optional[socket.socket] = None
        self._receiver: Optional[socket.socket] = None
        self._pid = -1

    @property
    def host_id(self) -> str:
        """This process's id on the bus: Rasa builds the bus before Sanic forks the workers,
        and python-socketio ignores messages carrying its own id, so each process needs one."""
        if self._host_pid != os.getpid():
            self._host, self._host_pid = uuid.uuid4().hex, os.getpid()
        return self._host

    @host_id.setter
    def host_id(self, value: str) -> None:
        self._host, self._host_pid = value, os.getpid()

    def _own_path(self) -> Path:
        return self.directory / f"{os.getpid()}.sock"

    def _ensure_directory(self) -> None:
        self.directory.mkdir(mode=0o700, exist_ok=True)
        info = self.directory.stat()
        if info.st_uid != os.getuid() or info.st_mode & 0o077:
            raise PermissionError(f"{self.directory} must be private to this user")

    def _socket(self) -> socket.socket:
        """This process's sending socket (not shared across a fork)."""
        if self._sender is None or self._pid != os.getpid():
            self._ensure_directory()
            self._sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._sender.setblocking(False)
            self._pid = os.getpid()
        return self._sender

    async def _publish(self, data: Dict[str, Any]) -> None:
        """Send ``data`` to every other worker; drop the sockets of workers that are gone."""
        payload = self.json.dumps(data).encode("utf-8")
        sender, own = self._socket(), self._own_path()
        for path in self.directory.glob("*.sock"):
            if path == own:
                continue
            try:
                sender.sendto(payload, str(path))
            except (ConnectionRefusedError, FileNotFoundError):
                path.unlink(missing_ok=True)  # its process died without removing it
            except OSError as exc:  # a full queue (EAGAIN) or a message too large
                level = logging.WARNING if exc.errno in (errno.EAGAIN, errno.EMSGSIZE) else logging.ERROR
                logger.log(level, "event=socketio_bus_drop peer=%s error=%s", path.name, exc)

    async def _listen(self) -> AsyncIterator[bytes]:
        """This worker's messages from the others, as they arrive."""
        self._ensure_directory()
        own = self._own_path()
        own.unlink(missing_ok=True)
        receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * MAX_DATAGRAM)
        receiver.bind(str(own))
        receiver.setblocking(False)
        self._receiver = receiver
        loop = asyncio.get_running_loop()
        try:
            while True:
                yield await loop.sock_recv(receiver, MAX_DATAGRAM)
        finally:
            receiver.close()
            own.unlink(missing_ok=True)


def server_options(env: Optional[Any] = None) -> Dict[str, Any]:
    """Extra ``AsyncServer`` arguments for ``SANIC_WORKERS`` processes (none for one)."""
    if shop_settings.value("SANIC_WORKERS", env) <= 1:
        return {}
    return {"client_manager": LocalBus(), "transports": ["websocket"]}
