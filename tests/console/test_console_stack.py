"""Agent replies reach the shopper through the real assistant (needs models/current.tar.gz).

The shopper is a python-socketio client speaking Rasa's socket.io channel, as the storefront
widget does; the console takes the handoff, replies and hands back through Rasa's HTTP API.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from channels.session_ids import conversation_of
from console.app import build_app
from console.auth import Accounts
from console.config import PROJECT_ROOT, ConsoleSettings
from harness.stack import Stack
from shop.secrets import generate


class Shopper:
    """The widget's side of Rasa's socket.io channel.

    python-socketio's threaded client (long-polling over ``requests``): its asyncio client
    needs a newer aiohttp than Rasa 3.6 pins.
    """

    def __init__(self, url: str) -> None:
        import socketio

        self.url = url
        self.session_id = ""  # issued by the server (session_confirm)
        self.received: list[str] = []
        self._changed = threading.Condition()  # notified by the client's thread on each event
        self.sio = socketio.Client()
        self.sio.on("bot_uttered", self._on_bot)
        self.sio.on("session_confirm", self._on_session)

    def _on_session(self, session_id: str) -> None:
        with self._changed:
            self.session_id = session_id
            self._changed.notify_all()

    @property
    def conversation(self) -> str:
        """Rasa's conversation id (``socketio:…``) for the server-issued session."""
        return conversation_of(self.session_id)

    def _on_bot(self, data: dict) -> None:
        if data.get("text"):
            with self._changed:
                self.received.append(data["text"])
                self._changed.notify_all()

    async def _until(self, ready: Callable[[], bool], timeout: float) -> bool:
        """Wait (off the event loop) until ``ready()`` holds after an event; False on timeout."""

        def wait() -> bool:
            with self._changed:
                return self._changed.wait_for(ready, timeout)

        return await asyncio.to_thread(wait)

    async def connect(self) -> None:
        await asyncio.to_thread(
            self.sio.connect, self.url, transports=["polling"], socketio_path="/socket.io"
        )
        await asyncio.to_thread(self.sio.emit, "session_request", {"session_id": None})
        if not await self._until(lambda: bool(self.session_id), 10):
            raise AssertionError("no session_confirm")

    async def say(self, text: str) -> None:
        await asyncio.to_thread(
            self.sio.emit, "user_uttered", {"message": text, "session_id": self.session_id}
        )

    async def wait_for(self, needle: str, timeout: float = 30) -> None:
        if not await self._until(lambda: any(needle in t for t in self.received), timeout):
            raise AssertionError(f"{needle!r} never reached the shopper; got {self.received}")


async def test_agent_reply_reaches_the_shopper_on_the_widget_channel(stack: Stack, tmp_path: Path) -> None:
    import re

    shopper = Shopper(stack.rasa_url)
    await shopper.connect()
    try:
        await shopper.say("I want to talk to a real person")
        await shopper.wait_for("support team")
        settings = ConsoleSettings(
            secret=generate(),
            console_db_url=f"sqlite:///{tmp_path / 'console.db'}",
            tracker_url=f"sqlite:///{stack.env['TRACKER_DB']}",
            shop_db_url=stack.db_url,
            rasa_url=stack.rasa_url,
            rasa_token=stack.token,
            ingest_interval=0,
            nlu_dir=PROJECT_ROOT / "data" / "nlu",
            export_file=tmp_path / "export.yml",
            stories_dir=tmp_path / "stories",
        )
        app = build_app(settings)
        Accounts(app[__import__("console.app", fromlist=["CONSOLE_DB"]).CONSOLE_DB]).create_user(
            "agent", "correct horse battery", "agent", "Sam"
        )
        async with TestClient(TestServer(app)) as client:
            page = await (await client.get("/login")).text()
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            await client.post(
                "/login", data={"username": "agent", "password": "correct horse battery", "csrf_token": token}
            )
            csrf = re.search(
                r'name="csrf_token" value="([^"]+)"', await (await client.get("/handoff")).text()
            ).group(1)  # type: ignore[union-attr]
            queue = (await (await client.get("/api/handoff")).json())["queue"]
            request_id = next(e["request_id"] for e in queue if e["sender_id"] == shopper.conversation)

            assert (await client.post(f"/handoff/{request_id}/take", data={"csrf_token": csrf})).status == 200
            await shopper.wait_for("Sam from our support team has joined")
            await client.post(
                f"/handoff/{request_id}/reply",
                data={"csrf_token": csrf, "text": "Hi, Sam here. How can I help?"},
            )
            await shopper.wait_for("Sam here")
            tracker = stack.tracker(shopper.conversation, channel=None)
            assert tracker["paused"] is True
            assert any(
                e["event"] == "bot" and e.get("text") == "Hi, Sam here. How can I help?"
                for e in tracker["events"]
            )

            await client.post(f"/handoff/{request_id}/release", data={"csrf_token": csrf})
            await shopper.wait_for("has left the chat")
            assert stack.tracker(shopper.conversation, channel=None)["paused"] is False
    finally:
        await asyncio.to_thread(shopper.sio.disconnect)
