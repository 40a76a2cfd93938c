"""Coupon code normalisation: what a shopper types -> the canonical stored form.

``" save 10 "`` and ``"ｓａｖｅ１０"`` (full width) both become ``SAVE10``; a code that still
holds anything but ASCII letters, digits, ``-`` or ``_`` afterwards (a Cyrillic ``А``
that looks like a Latin ``A``, an emoji) or is longer than :data:`MAX_CODE_LENGTH` is
not a code at all, and is answered exactly like an unknown one.
"""

from __future__ import annotations

import re
import unicodedata

MAX_CODE_LENGTH = 32
#: Inputs longer than this are refused before any Unicode work (a 10 KB paste).
MAX_RAW_LENGTH = 256

_CODE_RE = re.compile(r"[A-Z0-9_-]{1,%d}" % MAX_CODE_LENGTH)
_SPACE_RE = re.compile(r"\s+")


def normalize_code(raw: str) -> str | None:
    """The canonical form of ``raw``, or ``None`` if it cannot be a coupon code."""
    if not isinstance(raw, str) or len(raw) > MAX_RAW_LENGTH:
        return None
    text = unicodedata.normalize("NFKC", raw)
    text = _SPACE_RE.sub("", text).upper()
    if not text.isascii() or not _CODE_RE.fullmatch(text):
        return None
    return text


def display_code(raw: str) -> str:
    """A safe, short echo of what the shopper typed, for messages and logs."""
    code = normalize_code(raw)
    if code is not None:
        return code
    text = "".join(ch for ch in str(raw)[:MAX_CODE_LENGTH] if ch.isprintable())
    text = _SPACE_RE.sub(" ", text).strip()
    return text + ("…" if len(str(raw)) > MAX_CODE_LENGTH else "")
