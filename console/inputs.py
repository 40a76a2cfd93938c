"""Untrusted request values made safe to use: text a database accepts, bounded numbers and ids.
Anything else is a clear 4xx, never a 500. (Redirect targets: ``shop.urls.safe_next``.)"""

from __future__ import annotations

__all__ = ["clean", "number", "row_id", "MAX_ROW_ID"]

#: the largest id a 32-bit INTEGER column holds (PostgreSQL refuses more, SQLite overflows)
MAX_ROW_ID = 2**31 - 1


def clean(text: str) -> str:
    """``text`` without NUL (PostgreSQL refuses it) or lone surrogates (not encodable)."""
    if text.isascii():
        return text.replace("\x00", "")
    return text.encode("utf-8", "ignore").decode("utf-8").replace("\x00", "")


def number(raw: str, default: int, lo: int, hi: int) -> int:
    """ASCII digits clamped to [lo, hi]; ``default`` for anything else (``²``, ``-1``, ``1e9``)."""
    raw = raw.strip()
    if not raw or len(raw) > 12 or not (raw.isascii() and raw.isdigit()):
        return default
    return max(lo, min(int(raw), hi))


def row_id(raw: str) -> int | None:
    """A database id (1 .. :data:`MAX_ROW_ID`) or None."""
    raw = raw.strip()
    if not raw or len(raw) > 10 or not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ROW_ID else None
