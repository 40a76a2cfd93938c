"""Rasa's socket.io channel, fixed for python-socketio 5.10+ and for custom payloads.

Two defects of ``rasa.core.channels.socketio`` (Rasa 3.6.21) with the pinned
python-socketio 5.18 make the website widget silent or crash:

* ``session_request`` calls ``sio.enter_room(...)`` without ``await``; since
  python-socketio 5.10 that is a coroutine, so the socket never joins the session's
  room and, with ``session_persistence: true``, every bot reply (emitted to the room)
  is lost.
* ``send_custom_json`` calls ``sio.emit(event, **payload)``, so a custom payload such as
  ``{"type": "carousel", "products": [...]}`` raises ``TypeError`` inside ``emit``.
  Here it is sent as ``{"custom": payload}``, the shape the REST channel uses too.

One addition: a text message written by a person from the review console carries
``agent`` (their display name) and, on the join / leave notices, ``handoff``
(``joined`` / ``left``); they are passed on to the widget next to ``text``.

Everything else (event names, ``metadata_key``, JWT auth, path ``/socket.io``) is Rasa's.
Configured in credentials.yml as ``channels.socketio_web.WebSocketIOInput``.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional

import rasa.core.channels.channel
import rasa.shared.utils.io
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

logger = logging.getLogger(__name__)


#: Message metadata the console sets on an agent's messages, forwarded to the widget.
AGENT_FIELDS = ("agent", "handoff")


class WebSocketIOOutput(SocketIOOutput):
    """Sends custom payloads as ``{"custom": {...}}`` and keeps an agent's name on texts."""

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        extra = {k: kwargs[k] for k in AGENT_FIELDS if isinstance(kwargs.get(k), str)}
        for part in text.strip().split("\n\n"):
            await self._send_message(recipient_id, {"text": part, **extra})

    async def send_custom_json(self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"custom": json_message})


class WebSocketIOInput(SocketIOInput):
    """The ``socketio`` channel with the room join awaited."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def get_output_channel(self) -> Optional[OutputChannel]:
        if self.sio is None:
            return super().get_output_channel()
        return WebSocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # CORS is handled by Sanic (`rasa run --cors`), as in Rasa's own channel.
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[])
        socketio_webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio

        @socketio_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: str, environ: Dict, auth: Optional[Dict]) -> bool:
            if not self.jwt_key:
                return True
            token = auth.get("token") if auth else None
            payload = (
                rasa.core.channels.channel.decode_bearer_token(token, self.jwt_key, self.jwt_algorithm)
                if token
                else None
            )
            return bool(payload)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Optional[Dict]) -> None:
            data = data if isinstance(data, dict) else {}
            session_id = data.get("session_id")
            if not isinstance(session_id, str) or not session_id or len(session_id) > 255:
                session_id = uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Dict) -> None:
            if not isinstance(data, dict):
                return
            output_channel = WebSocketIOOutput(sio, self.bot_message_evt)
            if self.session_persistence:
                if not data.get("session_id"):
                    rasa.shared.utils.io.raise_warning(
                        "A message without a session_id was received and ignored; "
                        "send `session_request` first."
                    )
                    return
                sender_id = str(data["session_id"])
            else:
                sender_id = sid
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            if not isinstance(metadata, dict):
                metadata = {}
            message = UserMessage(
                str(data.get("message", "")),
                output_channel,
                sender_id,
                input_channel=self.name(),
                metadata=metadata,
            )
            await on_new_message(message)

        return socketio_webhook
