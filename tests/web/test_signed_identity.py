"""Signed identity tokens: only our own, unexpired, untouched tokens name a customer."""

from __future__ import annotations

import base64

import pytest

from shop.signed_identity import CHAT, COOKIE, MAX_TOKEN_CHARS, MissingSecret, sign, verify

SECRET = "test-secret"
NOW = 1_700_000_000.0


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_valid_token_names_the_customer() -> None:
    token = sign(42, SECRET, ttl_s=60, now=NOW)
    assert verify(token, SECRET, now=NOW + 59) == 42


def test_expired_token_rejected() -> None:
    token = sign(42, SECRET, ttl_s=60, now=NOW)
    assert verify(token, SECRET, now=NOW + 60) is None
    assert verify(token, SECRET, now=NOW + 3600) is None


@pytest.mark.parametrize("token", [None, "", 42, {"customer_id": 1}, ["a.b"]])
def test_missing_or_non_string_token_rejected(token: object) -> None:
    assert verify(token, SECRET, now=NOW) is None


def test_forged_token_without_the_secret_rejected() -> None:
    forged = sign(42, "attacker-guess", ttl_s=60, now=NOW)
    assert verify(forged, SECRET, now=NOW) is None


def test_wrong_secret_rejected() -> None:
    token = sign(42, SECRET, ttl_s=60, now=NOW)
    assert verify(token, "another-secret", now=NOW) is None
    assert verify(token, "", now=NOW) is None


def test_tampered_customer_id_rejected() -> None:
    token = sign(42, SECRET, ttl_s=60, now=NOW)
    _, signature = token.split(".")
    tampered = f"{_b64(f'v2:chat:43:{int(NOW) + 60}'.encode())}.{signature}"
    assert verify(tampered, SECRET, now=NOW) is None


def test_tampered_expiry_rejected() -> None:
    token = sign(42, SECRET, ttl_s=60, now=NOW)
    _, signature = token.split(".")
    extended = f"{_b64(f'v2:chat:42:{int(NOW) + 10**9}'.encode())}.{signature}"
    assert verify(extended, SECRET, now=NOW + 120) is None


@pytest.mark.parametrize(
    "token",
    [
        "no-dot-here",
        "a.b.c",
        ".abc",
        "abc.",
        "!!!.???",
        "x" * (MAX_TOKEN_CHARS + 1),
        "é.é",
    ],
)
def test_malformed_tokens_rejected(token: str) -> None:
    assert verify(token, SECRET, now=NOW) is None


def test_signed_but_malformed_payload_rejected() -> None:
    import hashlib
    import hmac

    for payload in (
        b"v2:chat:abc:123",
        b"v2:42:9999999999",
        b"v2:chat:-5:9999999999",
        b"v2:chat:42",
        b"v3:chat:42:9999999999",
        b"v2:chat:42:9999999999:extra",
    ):
        mac = hmac.new(SECRET.encode(), payload, hashlib.sha256).digest()
        assert verify(f"{_b64(payload)}.{_b64(mac)}", SECRET, now=NOW) is None


def test_sign_refuses_empty_secret_and_bad_ids() -> None:
    with pytest.raises(MissingSecret):
        sign(1, "")
    for bad in (0, -1, True):
        with pytest.raises(ValueError):
            sign(bad, SECRET)
    with pytest.raises(ValueError):
        sign(1, SECRET, ttl_s=0)


def test_token_for_one_audience_never_verifies_for_another() -> None:
    cookie = sign(42, SECRET, ttl_s=60, now=NOW, audience=COOKIE)
    chat = sign(42, SECRET, ttl_s=60, now=NOW, audience=CHAT)
    assert verify(cookie, SECRET, now=NOW, audience=COOKIE) == 42
    assert verify(chat, SECRET, now=NOW, audience=CHAT) == 42
    assert verify(cookie, SECRET, now=NOW, audience=CHAT) is None
    assert verify(cookie, SECRET, now=NOW) is None  # the default audience is the chat's
    assert verify(chat, SECRET, now=NOW, audience=COOKIE) is None


def test_tampered_audience_rejected() -> None:
    token = sign(42, SECRET, ttl_s=60, now=NOW, audience=COOKIE)
    _, signature = token.split(".")
    relabelled = f"{_b64(f'v2:chat:42:{int(NOW) + 60}'.encode())}.{signature}"
    assert verify(relabelled, SECRET, now=NOW, audience=CHAT) is None


def test_token_without_audience_rejected() -> None:
    import hashlib
    import hmac

    # the v1 format (no audience) the storefront used for both cookies and the chat
    payload = f"v1:42:{int(NOW) + 60}".encode()
    mac = hmac.new(SECRET.encode(), payload, hashlib.sha256).digest()
    assert verify(f"{_b64(payload)}.{_b64(mac)}", SECRET, now=NOW) is None


@pytest.mark.parametrize("audience", ["", "Chat", "a:b", "x" * 40, None])
def test_malformed_audience_refused(audience: object) -> None:
    with pytest.raises(ValueError):
        sign(1, SECRET, audience=audience)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        verify(sign(1, SECRET), SECRET, audience=audience)  # type: ignore[arg-type]
