"""A stand-in Rasa server for widget tests: the project's socket.io channel, no model.

It mounts ``channels.socketio_web.WebSocketIOInput`` (configured from credentials.yml)
on a Sanic app with CORS, as ``rasa run --cors "*"`` does, and answers every user message from a
script: the text back with the metadata it received, buttons (``/zh``: in Chinese), or a custom payload.
``/agent_join NAME`` and ``/agent_leave NAME`` play the console's handoff notices (the
console's own wording); in between the "bot" is paused and answers nothing, as Rasa does.
``/handoff_request`` plays action_handoff: the bot says it asked for a person (with
``handoff: requested``, as actions/handoff.py sends it) and is paused from then on.
Run: ``python tests/web/socketio_echo.py PORT``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import yaml
from rasa.core.channels.channel import UserMessage
from rasa.server import configure_cors
from sanic import Sanic, response

from channels.socketio_web import WebSocketIOInput
from console.handoff import join_message, leave_message

ROOT = Path(__file__).resolve().parents[2]
CHANNEL_KEY = "channels.socketio_web.WebSocketIOInput"
HANDOFF_REQUESTED = "I've asked a person from our support team to join this chat."


def build_app() -> Sanic:
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text())[CHANNEL_KEY]
    channel = WebSocketIOInput.from_credentials(credentials)
    app = Sanic("socketio_echo")
    configure_cors(app, "*")  # as `rasa run --cors "*"` does
    paused: set[str] = set()  # senders a (pretend) agent has taken over

    async def on_message(message: UserMessage) -> None:
        out = message.output_channel
        text = message.text or ""
        sender = message.sender_id
        if text.startswith("/agent_join "):
            paused.add(sender)
            name = text.split(" ", 1)[1]
            await out.send_response(sender, {"text": join_message(name), "agent": name, "handoff": "joined"})
        elif text.startswith("/agent_leave "):
            paused.discard(sender)
            name = text.split(" ", 1)[1]
            await out.send_response(sender, {"text": leave_message(name), "agent": name, "handoff": "left"})
        elif text == "/handoff_request":
            paused.add(sender)
            await out.send_response(sender, {"text": HANDOFF_REQUESTED, "handoff": "requested"})
        elif sender in paused:
            return  # the bot is paused: only the agent writes
        elif text == "/buttons":
            await out.send_response(
                sender,
                {
                    "text": "Pick one",
                    "buttons": [
                        {"title": "Red <b>", "payload": "/choose_red"},
                        {"title": "Blue", "payload": "/choose_blue"},
                    ],
                },
            )
        elif text == "/carousel":
            products = [
                {"sku": "SKU-1", "title": "Trail <Runner>", "price": "$89.00", "image": "/img/SKU-1.svg",
                 "url": "/product/SKU-1"},
                {"sku": "SKU-2", "title": "Road Racer", "price": "$120.00", "image": "/img/SKU-2.svg",
                 "url": "/product/SKU-2"},
            ]  # fmt: skip
            await out.send_response(sender, {"custom": {"type": "carousel", "products": products}})
        elif text == "/zh":
            await out.send_response(
                sender,
                {
                    "text": "您好！我是购物助手。请问您的订单号是多少？",
                    "buttons": [
                        {"title": "查订单", "payload": "/order_status"},
                        {"title": "转人工客服", "payload": "/human_handoff"},
                    ],
                },
            )
        elif text == "/slow":
            await asyncio.sleep(1.5)  # long enough for a test to see the typing indicator
            await out.send_response(sender, {"text": "done thinking"})
        elif text == "/link":
            await out.send_response(sender, {"text": "See https://example.com/help and <script>x()</script>"})
        else:
            meta = json.dumps(message.metadata or {}, sort_keys=True)
            await out.send_response(sender, {"text": f"echo [{sender}] {text} meta={meta}"})

    app.blueprint(channel.blueprint(on_message))

    @app.get("/health")
    async def health(_: Any) -> Any:
        return response.json({"status": "ok"})

    return app


if __name__ == "__main__":
    port = int(sys.argv[1])
    build_app().run(host="127.0.0.1", port=port, workers=1, access_log=False)
