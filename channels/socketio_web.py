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

And the server, not the browser, decides who is talking (ops/input_guard.py):

* **Sessions are issued and signed** (channels/session_ids.py, ``SHOP_SESSION_SECRET``).
  On ``session_request`` a presented id that verifies is kept; anything else (absent,
  forged, unsigned, signed with another key) gets a fresh one. ``session_confirm`` carries
  the id the socket now has, so the widget stores that one. The conversation is
  ``socketio:<random part>``, which is also the socket.io room bot replies (and the review
  console's messages, via Rasa's API with ``output_channel=latest``) are emitted to.
* **Messages use the socket's confirmed session**, kept server-side (``sio.save_session``);
  the ``session_id`` a client puts in ``user_uttered`` is ignored. A message before
  ``session_request`` or whose ``message`` is not a string is dropped (and logged).
* **metadata["source"]** is the client address of the connection (Sanic's request at
  connect, as the REST channel reads it), saved with the session; a client value is dropped.
* **Bounded input**: a socket.io packet over ``MAX_SOCKETIO_PAYLOAD_BYTES`` (64 KiB) closes
  that client's connection (engine.io's ``max_http_buffer_size``), and a text over the
  message cap gets the polite limit reply without reaching NLU.

Everything else (event names, ``metadata_key``, JWT auth, path ``/socket.io``) is Rasa's.
Configured in credentials.yml as ``channels.socketio_web.WebSocketIOInput``; loading it
needs ``SHOP_SESSION_SECRET`` (``rasa run`` refuses to start without it).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Dict, Optional

import rasa.core.channels.channel
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from channels import session_ids
from ops import input_guard, socketio_bus
from ops.resilience import client_source
from shop import secrets

logger = logging.getLogger(__name__)


#: Message metadata the console sets on an agent's messages, forwarded to the widget.
AGENT_FIELDS = ("agent", "handoff")
SESSION_SECRET = "SHOP_SESSION_SECRET"


class WebSocketIOOutput(SocketIOOutput):
    """Sends custom payloads as ``{"custom": {...}}`` and keeps an agent's name on texts."""

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """One bubble per paragraph; an agent's name (console metadata) travels with each."""
        extra = {k: kwargs[k] for k in AGENT_FIELDS if isinstance(kwargs.get(k), str)}
        for part in text.strip().split("\n\n"):
            await self._send_message(recipient_id, {"text": part, **extra})

    async def send_custom_json(self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any) -> None:
        """A custom payload (a carousel) as ``{"custom": ...}``, the shape the widget renders."""
        await self._send_message(recipient_id, {"custom": json_message})


def connection_source(environ: Dict[str, Any]) -> Optional[str]:
    """The client address of a socket.io connection, as the server saw it at connect.

    Sanic's engine.io driver puts the handshake request in ``environ["sanic.request"]``
    (its ``REMOTE_ADDR`` is a fixed ``127.0.0.1``); other servers give the ASGI scope's
    ``client`` or a WSGI ``REMOTE_ADDR``.
    """
    request = environ.get("sanic.request")
    if request is not None:
        return client_source(request)
    scope = environ.get("asgi.scope")
    client = scope.get("client") if isinstance(scope, dict) else None
    if client:
        return str(client[0])
    remote = environ.get("REMOTE_ADDR")
    return str(remote) if remote else None


def session_key() -> str:
    """``SHOP_SESSION_SECRET``, or a RasaException naming it (``rasa run`` prints it and exits)."""
    try:
        return secrets.require(SESSION_SECRET)
    except secrets.InsecureSecret as exc:
        raise RasaException(str(exc)) from None


def _metadata(raw: Any) -> Dict[str, Any]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = {}
    return raw if isinstance(raw, dict) else {}


class WebSocketIOInput(SocketIOInput):
    """The ``socketio`` channel with server-issued sessions and the room join awaited."""

    @classmethod
    def name(cls) -> str:
        """``socketio``: the channel's name, the prefix of its conversation ids."""
        return "socketio"

    #: ``SHOP_SESSION_SECRET``, read when the channel is loaded.
    session_key: str = ""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        """Rasa's socket.io settings from credentials.yml, plus the session secret (required)."""
        channel = super().from_credentials(credentials)
        assert isinstance(channel, WebSocketIOInput)
        channel.session_key = session_key()
        return channel

    def get_output_channel(self) -> Optional[OutputChannel]:
        """The output for messages Rasa sends outside a turn (reminders, an agent's replies)."""
        if self.sio is None:
            return super().get_output_channel()
        return WebSocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The socket.io server: server-issued signed sessions, bounded input, source from the socket."""
        self.session_key = self.session_key or session_key()
        on_new_message = input_guard.guarded(on_new_message)
        # CORS is handled by Sanic (`rasa run --cors`), as in Rasa's own channel.
        sio = AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=[],
            max_http_buffer_size=input_guard.MAX_SOCKETIO_PAYLOAD_BYTES,
            # several Rasa workers: emits reach every worker, websocket only (ops/socketio_bus.py)
            **socketio_bus.server_options(),
        )
        socketio_webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio
        namespace = self.namespace

        @socketio_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=namespace)
        async def connect(sid: str, environ: Dict, auth: Optional[Dict]) -> bool:
            if self.jwt_key:
                token = auth.get("token") if isinstance(auth, dict) else None
                payload = (
                    rasa.core.channels.channel.decode_bearer_token(token, self.jwt_key, self.jwt_algorithm)
                    if token
                    else None
                )
                if not payload:
                    return False
            await sio.save_session(sid, {"source": connection_source(environ)}, namespace=namespace)
            return True

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: str, data: Any) -> None:
            presented = data.get("session_id") if isinstance(data, dict) else None
            kept = self.session_persistence and session_ids.verify(self.session_key, presented)
            session_id = str(presented) if kept else session_ids.issue(self.session_key)
            conversation = session_ids.conversation_of(session_id)
            async with sio.session(sid, namespace=namespace) as session:
                previous = session.get("conversation")
                session["conversation"] = conversation
            if previous and previous != conversation:
                await sio.leave_room(sid, previous, namespace=namespace)
            await sio.enter_room(sid, conversation, namespace=namespace)
            if presented and not kept:
                logger.info("event=socketio_session_refused reason=not_issued_here")
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: str, data: Any) -> None:
            session = await sio.get_session(sid, namespace=namespace)
            conversation = session.get("conversation")
            if not conversation:
                logger.warning("event=socketio_message_ignored reason=no_session")
                return
            text = data.get("message") if isinstance(data, dict) else None
            if not isinstance(text, str):
                logger.warning("event=socketio_message_ignored reason=message_not_text")
                return
            metadata = input_guard.with_source(_metadata(data.get(self.metadata_key)), session.get("source"))
            message = UserMessage(
                text,
                WebSocketIOOutput(sio, self.bot_message_evt),
                conversation,
                input_channel=self.name(),
                metadata=metadata,
            )
            await on_new_message(message)

        return socketio_webhook
