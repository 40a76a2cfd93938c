"""Signed shopper identity: the storefront vouches for a signed-in customer to the bot.

A token is ``base64url(payload) "." base64url(HMAC-SHA256(secret, payload))`` with
``payload = "v1:<customer_id>:<expires_at>"``. It proves who the shopper is only to
someone holding the same secret (``SHOP_IDENTITY_SECRET``), and only until it expires.
Pure functions, no I/O besides reading the environment in :func:`secret_from_env`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import time

VERSION = "v1"
ENV_VAR = "SHOP_IDENTITY_SECRET"
DEFAULT_TTL_S = 3600
# A valid token is well under 100 characters; anything longer is refused before decoding.
MAX_TOKEN_CHARS = 256
MAX_CUSTOMER_ID = 2**63 - 1


class MissingSecret(ValueError):
    """Signing without a secret would produce tokens anyone can forge."""


def secret_from_env() -> str | None:
    """``SHOP_IDENTITY_SECRET``, or None when unset or blank."""
    value = os.environ.get(ENV_VAR, "").strip()
    return value or None


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(padded.encode("ascii"))


def _mac(payload: bytes, secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), payload, hashlib.sha256).digest()


def sign(customer_id: int, secret: str, ttl_s: int = DEFAULT_TTL_S, now: float | None = None) -> str:
    """A token saying "this is customer ``customer_id``" valid for ``ttl_s`` seconds."""
    if not secret:
        raise MissingSecret(f"{ENV_VAR} is empty")
    if isinstance(customer_id, bool) or not 0 < int(customer_id) <= MAX_CUSTOMER_ID:
        raise ValueError("customer_id must be a positive integer")
    if ttl_s <= 0:
        raise ValueError("ttl_s must be positive")
    expires = int((time.time() if now is None else now) + ttl_s)
    payload = f"{VERSION}:{int(customer_id)}:{expires}".encode("ascii")
    return f"{_b64encode(payload)}.{_b64encode(_mac(payload, secret))}"


def verify(token: object, secret: str, now: float | None = None) -> int | None:
    """The customer id in ``token`` if its signature is ours and it has not expired, else None."""
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
        version, raw_id, raw_exp = payload.decode("ascii").split(":")
        customer_id, expires = int(raw_id), int(raw_exp)
    except (UnicodeDecodeError, ValueError):
        return None
    if version != VERSION or not 0 < customer_id <= MAX_CUSTOMER_ID:
        return None
    if (time.time() if now is None else now) >= expires:
        return None
    return customer_id
