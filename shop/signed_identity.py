"""Signed shopper identity: the storefront vouches for a signed-in customer to the bot.

A token is ``base64url(payload) "." base64url(HMAC-SHA256(secret, payload))`` with
``payload = "v2:<audience>:<customer_id>:<expires_at>"``. It proves who the shopper is only to
someone holding the same secret, only for the audience it was made for, and only until it
expires. Two audiences exist: ``"chat"`` (the widget's token for the bot, keyed by
``SHOP_IDENTITY_SECRET``) and ``"cookie"`` (the storefront's own signed-in cookie, keyed by
``SHOP_COOKIE_SECRET``): a token made for one never verifies for the other, even under the
same key. Tokens without an audience (``v1``) are refused.
Pure functions, no I/O besides reading the secret in :func:`secret_from_env` (:mod:`shop.secrets`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time

from shop import secrets

__all__ = [
    "VERSION",
    "ENV_VAR",
    "CHAT",
    "COOKIE",
    "DEFAULT_TTL_S",
    "MAX_TOKEN_CHARS",
    "MissingSecret",
    "secret_from_env",
    "sign",
    "verify",
]

VERSION = "v2"
ENV_VAR = "SHOP_IDENTITY_SECRET"
#: The bot's audience: tokens the storefront puts into the chat widget's message metadata.
CHAT = "chat"
#: The storefront's audience: its signed-in cookie.
COOKIE = "cookie"
DEFAULT_TTL_S = 3600
# A valid token is well under 120 characters; anything longer is refused before decoding.
MAX_TOKEN_CHARS = 256
MAX_CUSTOMER_ID = 2**63 - 1
AUDIENCE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


class MissingSecret(ValueError):
    """Signing without a secret would produce tokens anyone can forge."""


def secret_from_env(name: str = ENV_VAR) -> str | None:
    """The variable ``name`` (default ``SHOP_IDENTITY_SECRET``), or None when unset or blank."""
    return secrets.read(name)


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(padded.encode("ascii"))


def _mac(payload: bytes, secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), payload, hashlib.sha256).digest()


def _check_audience(audience: str) -> str:
    if not isinstance(audience, str) or not AUDIENCE.match(audience):
        raise ValueError("audience must be a short lower-case word such as 'chat' or 'cookie'")
    return audience


def sign(
    customer_id: int,
    secret: str,
    ttl_s: int = DEFAULT_TTL_S,
    now: float | None = None,
    *,
    audience: str = CHAT,
) -> str:
    """A token saying "this is customer ``customer_id``" to ``audience`` for ``ttl_s`` seconds."""
    if not secret:
        raise MissingSecret(f"the secret for audience {audience!r} is empty")
    _check_audience(audience)
    if isinstance(customer_id, bool) or not 0 < int(customer_id) <= MAX_CUSTOMER_ID:
        raise ValueError("customer_id must be a positive integer")
    if ttl_s <= 0:
        raise ValueError("ttl_s must be positive")
    expires = int((time.time() if now is None else now) + ttl_s)
    payload = f"{VERSION}:{audience}:{int(customer_id)}:{expires}".encode("ascii")
    return f"{_b64encode(payload)}.{_b64encode(_mac(payload, secret))}"


def verify(token: object, secret: str, now: float | None = None, *, audience: str = CHAT) -> int | None:
    """The customer id in ``token`` if it is ours, made for ``audience`` and unexpired, else None."""
    _check_audience(audience)
    if not secret or not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_CHARS:
        return None
    parts = token.split(".")
    if len(parts) != 2 or not all(parts):
        return None
    try:
        payload = _b64decode(parts[0])
        signature = _b64decode(parts[1])
    except (binascii.Error, ValueError):
        return None
    # Compare MACs before looking inside the payload: nothing unsigned is parsed.
    if not hmac.compare_digest(signature, _mac(payload, secret)):
        return None
    try:
        version, token_audience, raw_id, raw_exp = payload.decode("ascii").split(":")
        customer_id, expires = int(raw_id), int(raw_exp)
    except (UnicodeDecodeError, ValueError):
        return None
    if version != VERSION or token_audience != audience:
        return None
    if not 0 < customer_id <= MAX_CUSTOMER_ID:
        return None
    if (time.time() if now is None else now) >= expires:
        return None
    return customer_id
