"""Normalising what shoppers type: order numbers, emails, RMA numbers.

Every function takes untrusted text (possibly None, huge or hostile) and returns a
canonical value or None; none of them raise. Lengths are checked before any regex runs.
"""

from __future__ import annotations

import re

MAX_INPUT_CHARS = 200  # longer than any legitimate answer to "order number?" or "email?"
MAX_EMAIL_CHARS = 254

_ORDER_RE = re.compile(
    r"(?:(?:order|ord)\s*(?:number|num|no|nr)?\.?\s*[:#]?\s*|#\s*)?([0-9]{6})",
    re.IGNORECASE,
)
_RMA_RE = re.compile(r"rma\s*[-#:]?\s*([0-9]{6})", re.IGNORECASE)
_EMAIL_RE = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)


def _clean(text: str | None) -> str | None:
    if not isinstance(text, str) or len(text) > MAX_INPUT_CHARS:
        return None
    text = text.strip()
    return text or None


def normalize_order_number(text: str | None) -> str | None:
    """``"104523"``, ``"#104523"``, ``"order 104523"``, ``"order no. 104523"`` -> ``"104523"``.

    The whole input must be the order reference: ``"1045234"`` or ``"104523; drop"`` give None.
    """
    cleaned = _clean(text)
    if cleaned is None:
        return None
    match = _ORDER_RE.fullmatch(cleaned)
    return match.group(1) if match else None


def normalize_email(text: str | None) -> str | None:
    """Trimmed, lower-cased address if it looks like one (and fits in 254 chars), else None."""
    if not isinstance(text, str) or len(text) > MAX_EMAIL_CHARS + 40:
        return None
    email = text.strip().lower()
    if not email or len(email) > MAX_EMAIL_CHARS:
        return None
    local, _, _domain = email.partition("@")
    if len(local) > 64 or not _EMAIL_RE.fullmatch(email):
        return None
    return email


def normalize_rma(text: str | None) -> str | None:
    """``"RMA-123456"``, ``"rma 123456"``, ``"rma123456"`` -> ``"RMA-123456"``."""
    cleaned = _clean(text)
    if cleaned is None:
        return None
    match = _RMA_RE.fullmatch(cleaned)
    return f"RMA-{match.group(1)}" if match else None


def mask_email(email: str | None) -> str:
    """``"alex.morgan@example.com"`` -> ``"a***@example.com"``, safe to log."""
    if not email or "@" not in email:
        return "***"
    local, _, domain = email.rpartition("@")
    return f"{local[:1]}***@{domain}"
