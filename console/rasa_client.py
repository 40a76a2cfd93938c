"""Talking to the Rasa server's HTTP API (``rasa run --enable-api --auth-token``)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import aiohttp


class RasaUnavailable(RuntimeError):
    """The Rasa server could not be reached or refused the request."""


class RasaClient:
    """Appends events to a conversation so Rasa records them and forwards bot messages.

    ``output_channel=latest`` sends a ``bot`` event to the channel the shopper last wrote
    from (socket.io widget, Telegram); ``execute_side_effects=true`` makes Rasa actually send
    it rather than only store it.
    """

    def __init__(self, base_url: str, token: str, timeout: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def append_events(self, sender_id: str, events: list[dict[str, Any]]) -> dict[str, Any]:
        """Append ``events`` to the conversation (``RasaUnavailable`` on any failure)."""
        # Rasa's route does not percent-decode the id: the channel prefix's ":" (and the other
        # signs a REST sender may use, ops/input_guard.py) must travel as they are.
        url = f"{self.base_url}/conversations/{quote(sender_id, safe=':@+=')}/tracker/events"
        params = {"output_channel": "latest", "execute_side_effects": "true", "include_events": "NONE"}
        if self.token:
            params["token"] = self.token
        try:
            async with aiohttp.ClientSession(timeout=self.timeout) as http:
                async with http.post(url, params=params, json=events) as resp:
                    if resp.status != 200:
                        body = (await resp.text())[:200]
                        raise RasaUnavailable(f"Rasa answered {resp.status}: {body}")
                    return dict(await resp.json())
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RasaUnavailable(f"Rasa is not reachable: {type(exc).__name__}") from exc

    async def say(self, sender_id: str, text: str, agent: str) -> None:
        """A message from a person, shown to the shopper as a bot message."""
        await self.append_events(
            sender_id,
            [{"event": "bot", "text": text, "metadata": {"agent": agent}, "timestamp": time.time()}],
        )

    async def pause(self, sender_id: str) -> None:
        """Stop the bot answering in this conversation."""
        await self.append_events(sender_id, [{"event": "pause", "timestamp": time.time()}])

    async def resume(self, sender_id: str) -> None:
        """Let the bot answer again."""
        await self.append_events(sender_id, [{"event": "resume", "timestamp": time.time()}])
