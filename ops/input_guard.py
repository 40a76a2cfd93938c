"""What every shopper channel does to a client's message before Rasa sees it.

A client (browser, REST integration, Telegram user) controls every field it sends, so the
server decides the three things the assistant trusts:

* **whose conversation**: :func:`conversation_id` prefixes the channel (``rest:<sender>``,
  ``socketio:<server-issued id>``, ``telegram:<chat id>``), so no id typed into one channel
  opens another channel's conversation; :func:`client_id_problem` bounds what a REST client
  may send as its ``sender``;
* **where it came from**: :func:`with_source` sets ``metadata["source"]`` (the client
  address, or ``telegram:<chat id>``) over anything the client sent;
* **how much of it**: :func:`guarded` wraps Rasa's ``on_new_message`` so a text longer than
  :func:`shop.limits.max_message_chars` is answered at once with
  :func:`shop.limits.too_long_text` through the message's own output channel (REST returns
  it in the response list) and never reaches NLU, the tracker or the lock store: such a
  message is not stored as a user turn, and only its length is logged. A blank message
  ("" or only whitespace, which Rasa would answer with silence) gets
  :func:`shop.limits.empty_text` the same way. Both answers are in the message's written
  language (:func:`shop.language.written_language`: Han characters are Chinese, else the
  shop's default), since the conversation is not read for them.

Byte-level caps sit in front of this: Sanic's ``SANIC_REQUEST_MAX_SIZE`` for HTTP bodies and
the socket.io server's ``max_http_buffer_size`` (:data:`MAX_SOCKETIO_PAYLOAD_BYTES`).
"""

from __future__ import annotations

import logging
import re
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional

from rasa.core.channels.channel import UserMessage

from shop.language import written_language
from shop.limits import empty_text, max_message_chars, too_long_text

__all__ = [
    "CLIENT_ID_CHARS",
    "MAX_CLIENT_ID_CHARS",
    "MAX_SOCKETIO_PAYLOAD_BYTES",
    "SOURCE_KEY",
    "client_id_problem",
    "conversation_id",
    "guarded",
    "is_blank",
    "too_long",
    "with_source",
]

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]

#: Longest ``sender`` a REST client may choose (the stored ids are at most 255 characters).
MAX_CLIENT_ID_CHARS = 128
#: One socket.io packet: a message at the cap, JSON-escaped, plus metadata, fits many times over.
MAX_SOCKETIO_PAYLOAD_BYTES = 64 * 1024
#: What a client-chosen id may contain besides ASCII letters and digits.
CLIENT_ID_CHARS = "-_.~:@+="
_CLIENT_ID = re.compile(rf"[A-Za-z0-9{re.escape(CLIENT_ID_CHARS)}]{{1,{MAX_CLIENT_ID_CHARS}}}")
#: The metadata key only the server's channel sets.
SOURCE_KEY = "source"


def conversation_id(channel: str, client_id: str) -> str:
    """The server's conversation id for ``client_id`` on ``channel``: ``"<channel>:<client_id>"``."""
    return f"{channel}:{client_id}"


def client_id_problem(value: object) -> Optional[str]:
    """Why ``value`` cannot be a client-chosen conversation id, or None when it can.

    Accepted: 1 to :data:`MAX_CLIENT_ID_CHARS` characters of :data:`CLIENT_ID_CHARS`. These
    need no escaping in a URL path, which matters: Rasa's ``/conversations/<id>/...`` routes
    do not percent-decode the id, so ``rest:a b`` could be chatted to but never read back,
    paused or answered by a person from the console.
    """
    if not isinstance(value, str):
        return "sender must be a string"
    if not _CLIENT_ID.fullmatch(value):
        return f"sender must be 1-{MAX_CLIENT_ID_CHARS} ASCII letters, digits or any of {CLIENT_ID_CHARS}"
    return None


def with_source(metadata: object, source: Optional[str]) -> Dict[str, Any]:
    """A copy of the client's ``metadata`` (a dict, else empty) whose ``source`` is the server's.

    ``source`` None removes any client-sent value rather than keeping it.
    """
    clean = dict(metadata) if isinstance(metadata, Mapping) else {}
    clean.pop(SOURCE_KEY, None)
    if source:
        clean[SOURCE_KEY] = source
    return clean


def too_long(text: object) -> bool:
    """True when ``text`` is over :func:`shop.limits.max_message_chars` characters."""
    return isinstance(text, str) and len(text) > max_message_chars()


def is_blank(text: object) -> bool:
    """True for a message with no text at all ("" or only whitespace): Rasa would answer nothing."""
    return isinstance(text, str) and not text.strip()


def guarded(on_new_message: OnNewMessage) -> OnNewMessage:
    """``on_new_message`` behind the size cap and the blank-message answer (module docstring)."""

    async def handle(message: UserMessage) -> Any:
        if is_blank(message.text):
            logger.info("event=message_blank channel=%s", message.input_channel)
            if message.output_channel is not None:
                await message.output_channel.send_response(
                    message.sender_id, {"text": empty_text(written_language(message.text))}
                )
            return None
        if too_long(message.text):
            logger.info(
                "event=message_too_long channel=%s chars=%d limit=%d",
                message.input_channel,
                len(message.text or ""),
                max_message_chars(),
            )
            if message.output_channel is not None:
                reply = too_long_text(lang=written_language(message.text))
                await message.output_channel.send_response(message.sender_id, {"text": reply})
            return None
        return await on_new_message(message)

    return handle
