"""socket.io session ids: issued by the Rasa server and signed, never chosen by the browser.

Format: ``<random>.<mac>``

* ``random``: 22 URL-safe characters, 128 bits from :func:`secrets.token_urlsafe`;
* ``mac``: the first 22 characters of base64url(HMAC-SHA256(``SHOP_SESSION_SECRET``,
  ``"shop-socketio-session:" + random``)), 128 bits.

The conversation such an id opens is ``socketio:<random>`` (:func:`conversation_of`): the
mac never appears in a tracker, a log line or the review console, so someone who can read
conversation ids still cannot present one as a session.

Guarantee: :func:`verify` is true only for ids :func:`issue` produced with the same key.
Rotating ``SHOP_SESSION_SECRET`` therefore starts every widget on a new conversation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

__all__ = ["CHANNEL", "issue", "verify", "conversation_of"]

#: The channel prefix of every socket.io conversation id.
CHANNEL = "socketio"
_CONTEXT = b"shop-socketio-session:"
_PART = re.compile(r"^[A-Za-z0-9_-]{22}$")


def _mac(key: str, random_part: str) -> str:
    digest = hmac.new(key.encode("utf-8"), _CONTEXT + random_part.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:22]


def issue(key: str) -> str:
    """A fresh session id signed with ``key``."""
    random_part = secrets.token_urlsafe(16)
    return f"{random_part}.{_mac(key, random_part)}"


def verify(key: str, session_id: object) -> bool:
    """True when ``session_id`` is a string :func:`issue` made with ``key``."""
    if not isinstance(session_id, str) or len(session_id) != 45:
        return False
    random_part, _, mac = session_id.partition(".")
    if not (_PART.match(random_part) and _PART.match(mac)):
        return False
    return hmac.compare_digest(mac, _mac(key, random_part))


def conversation_of(session_id: str) -> str:
    """``socketio:<random>``: the Rasa conversation (and socket.io room) of a session id."""
    return f"{CHANNEL}:{session_id.partition('.')[0]}"
