"""Shoppers' email addresses: masked for roles that do not need them, replaced in exports."""

from __future__ import annotations

import re
from typing import Any

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")


def mask_email(address: str) -> str:
    """``alex.morgan@example.com`` -> ``a***@e***.com``: enough to tell two apart, not to write."""
    local, _, domain = address.partition("@")
    host, _, tld = domain.rpartition(".")
    return f"{local[:1]}***@{host[:1]}***.{tld}"


def mask_text(text: str) -> str:
    """``text`` with every email address masked (``a***@e***.com``)."""
    return EMAIL_RE.sub(lambda m: mask_email(m.group(0)), text)


def mask_value(value: Any) -> Any:
    """Mask emails anywhere inside a JSON-like value."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, list):
        return [mask_value(v) for v in value]
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    return value


class Pseudonymiser:
    """Replaces each distinct address with ``shopperN@example.com`` (stable within one export)."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        """``text`` with each address replaced by its pseudonym."""
        return EMAIL_RE.sub(self._sub, text)

    def _sub(self, m: re.Match[str]) -> str:
        key = m.group(0).lower()
        if key not in self._names:
            self._names[key] = f"shopper{len(self._names) + 1}@example.com"
        return self._names[key]
