"""A minimal asyncio socket.io client over a real websocket, as the widget connects.

python-socketio's AsyncClient needs a newer aiohttp for websockets than Rasa 3.6 pins, so
this speaks Engine.IO 4 / Socket.IO 5 itself on ``websockets``: open, namespace connect,
``42`` events both ways, and pong to the server's pings. Only what the tests need.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Dict, Optional

import websockets

__all__ = ["SocketIOClient"]


class SocketIOClient:
    """One browser tab's socket.io connection; events the server emits are queued by name."""

    def __init__(self, base_url: str, path: str = "/socket.io") -> None:
        self.url = base_url.replace("http://", "ws://", 1).rstrip("/") + f"{path}/?EIO=4&transport=websocket"
        self.events: Dict[str, asyncio.Queue[Any]] = {}
        self.closed = asyncio.Event()
        self._ws: Any = None
        self._reader: Optional[asyncio.Task[None]] = None

    async def connect(self, timeout: float = 10) -> SocketIOClient:
        self._ws = await websockets.connect(self.url, max_size=None, open_timeout=timeout)
        opened = await asyncio.wait_for(self._ws.recv(), timeout)
        assert str(opened).startswith("0"), opened
        await self._ws.send("40")
        joined = await asyncio.wait_for(self._ws.recv(), timeout)
        assert str(joined).startswith("40"), joined
        self._reader = asyncio.create_task(self._read())
        return self

    def queue(self, event: str) -> asyncio.Queue[Any]:
        return self.events.setdefault(event, asyncio.Queue())

    async def _read(self) -> None:
        try:
            async for frame in self._ws:
                frame = str(frame)
                if frame == "2":
                    await self._ws.send("3")
                elif frame.startswith("42"):
                    event, *args = json.loads(frame[2:])
                    await self.queue(event).put(args[0] if args else None)
                elif frame.startswith(("1", "41")):
                    break
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed.set()

    async def emit(self, event: str, data: Any) -> None:
        await self._ws.send("42" + json.dumps([event, data]))

    async def next(self, event: str, timeout: float = 30) -> Any:
        """The next ``event`` the server emitted to this client."""
        return await asyncio.wait_for(self.queue(event).get(), timeout)

    async def session(self, session_id: Optional[str] = None, timeout: float = 10) -> str:
        """``session_request`` with ``session_id``; the id ``session_confirm`` names."""
        await self.emit("session_request", {"session_id": session_id})
        confirmed = await self.next("session_confirm", timeout)
        return str(confirmed["session_id"] if isinstance(confirmed, dict) else confirmed)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
