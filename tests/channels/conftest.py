"""Fixtures: the stand-in Bot API, and the Telegram channel mounted in a Sanic server.

The channel is registered with Rasa's own ``rasa.core.channels.channel.register`` on a real
Sanic server (real listeners, real HTTP); only the agent is a script, so these tests run
without a trained model. tests/channels/test_telegram_rasa.py does the same against Rasa.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, Iterator, List, Optional

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage

from channels.telegram import SECRET_HEADER, TelegramInput
from tests.channels.fake_telegram import SECRET, TOKEN, FakeTelegram
from tests.channels.sanic_app import channel_server

LONG_TEXT = "\n\n".join(f"Paragraph {i}: " + " ".join(["lorem ipsum"] * 80) for i in range(12))


class ScriptedAgent:
    """Stands in for ``rasa.core.agent.Agent``: records messages, answers like Rasa would."""

    def __init__(self) -> None:
        self.messages: List[UserMessage] = []

    async def handle_message(self, message: UserMessage) -> None:
        self.messages.append(message)
        out = message.output_channel
        text = message.text or ""
        if text == "/restart":
            return  # Rasa's restart says nothing unless the domain has utter_restart
        if text == "show buttons":
            await out.send_response(
                message.sender_id,
                {
                    "text": "Which order?",
                    "buttons": [
                        {"title": "Order 104523", "payload": '/inform{"order_id":"104523"}'},
                        {"title": "Order 104524", "payload": '/inform{"order_id":"104524"}'},
                        {"title": "Something else entirely, thanks", "payload": "/deny"},
                    ],
                },
            )
        elif text == "show long payload":
            payload = '/inform{"return_reason":"' + "the zip broke on the second day of wearing it" + '"}'
            await out.send_response(
                message.sender_id, {"text": "Why?", "buttons": [{"title": "Zip broke", "payload": payload}]}
            )
        elif text == "show long":
            await out.send_response(message.sender_id, {"text": LONG_TEXT})
        elif text == "show carousel":
            products = [
                {
                    "sku": "SKU-1",
                    "title": "Trail <Runner> & Co",
                    "price": 89.9,
                    "image": "https://img.example/1.jpg",
                    "url": "https://shop.example/p/SKU-1",
                },
                {"sku": "SKU-2", "title": "City Walker", "price": "$59.00", "image": "https://broken/2.jpg"},
            ]
            await out.send_response(message.sender_id, {"custom": {"type": "carousel", "products": products}})
        else:
            await out.send_response(message.sender_id, {"text": f"You said: {text}"})


@dataclass
class ChannelServer:
    channel: TelegramInput
    agent: ScriptedAgent
    url: str
    fake: FakeTelegram

    async def post_update(self, update: Dict[str, Any], secret: Optional[str] = SECRET) -> int:
        update = dict(update)
        update.setdefault("update_id", self.fake.new_update_id())
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        async with aiohttp.ClientSession() as session:
            async with session.post(
                f"{self.url}/webhooks/telegram/webhook", json=update, headers=headers
            ) as r:
                await r.read()
                return r.status

    async def wait_for_count(self, method: str, count: int, timeout: float = 20.0) -> List[Any]:
        """Wait (off the event loop, which serves the channel) for ``count`` calls of ``method``."""
        return await asyncio.to_thread(self.fake.wait_for_count, method, count, timeout)


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
async def serve_channel(
    fake_telegram: FakeTelegram,
) -> AsyncIterator[Callable[..., Awaitable[ChannelServer]]]:
    """Factory: start a Sanic server with the Telegram channel from the given credentials."""
    async with AsyncExitStack() as servers:

        async def start(**credentials: Any) -> ChannelServer:
            creds = {
                "token": TOKEN,
                "mode": "webhook",
                "secret_token": SECRET,
                "api_base_url": fake_telegram.base_url,
                **credentials,
            }
            channel = TelegramInput.from_credentials(creds)
            agent = ScriptedAgent()
            url = await servers.enter_async_context(channel_server(channel, agent, "telegram_test"))
            return ChannelServer(channel, agent, url, fake_telegram)

        yield start
