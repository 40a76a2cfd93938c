"""What the storefront accepts from a browser: every query parameter, form field and path part.

Each reader returns a clean value or raises :class:`BadInput` with a sentence for the shopper
(the app answers it with a 400 page); nothing a client sends reaches SQL or a redirect unchecked.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from shop.pricing.service import MAX_LINE_QUANTITY
from web.store import MAX_ID

__all__ = [
    "BadInput",
    "MAX_ID",
    "MAX_NEXT_CHARS",
    "safe_next",
    "text",
    "optional_id",
    "quantity",
    "page_number",
    "has_control_chars",
]

MAX_NEXT_CHARS = 500
MAX_PAGE = 10_000
# Control characters (C0, DEL, C1): browsers strip some of them from URLs, so "/\t/evil.com"
# would become "//evil.com"; PostgreSQL refuses NUL in text.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# A redirect target: printable ASCII only (the storefront's own paths are percent-encoded).
_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+")
_DIGITS = re.compile(r"[0-9]{1,19}")


class BadInput(ValueError):
    """A request field the storefront will not use; ``str(e)`` is a sentence for the shopper."""


def has_control_chars(value: str) -> bool:
    return _CONTROL.search(value) is not None


def _is_local_path(value: str) -> bool:
    if not _PRINTABLE_ASCII.fullmatch(value) or "\\" in value:
        return False
    if not value.startswith("/") or value.startswith("//"):
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


def safe_next(raw: object, default: str = "/") -> str:
    """``raw`` if it is a path on this site (``/cart?x=1``), else ``default``.

    Refused: anything not a string or longer than :data:`MAX_NEXT_CHARS`; any control
    character, space, non-ASCII character or backslash (browsers read ``/\\evil.com`` and
    ``/\\t/evil.com`` as ``//evil.com``); ``//host`` and ``scheme:`` forms; and a path hiding
    any of these behind percent-encoding (``/%2F%2Fevil.com``, ``/%5Cevil.com``, ``/%09/x``).
    """
    if not isinstance(raw, str) or not raw or len(raw) > MAX_NEXT_CHARS or not _is_local_path(raw):
        return default
    path = raw.split("?", 1)[0].split("#", 1)[0]
    for _ in range(3):  # a twice-encoded "//" is refused too
        step = unquote(path)
        if step == path:
            return raw
        if has_control_chars(step) or "\\" in step or step.startswith("//"):
            return default
        path = step
    return default


def text(raw: object, *, field: str, limit: int, default: str = "") -> str:
    """A form field or query parameter as text: at most ``limit`` characters, no control ones."""
    if raw is None:
        return default
    if not isinstance(raw, str):  # an uploaded file where text was expected
        raise BadInput(f"The {field} must be text.")
    if len(raw) > limit:
        raise BadInput(f"The {field} is too long (at most {limit} characters).")
    if has_control_chars(raw):
        raise BadInput(f"The {field} contains characters the shop cannot use.")
    return raw


def optional_id(raw: object, *, field: str) -> int | None:
    """A database id from a form: blank is None; anything but a positive whole number is refused."""
    value = text(raw, field=field, limit=19).strip()
    if not value:
        return None
    if not _DIGITS.fullmatch(value) or not 0 < int(value) <= MAX_ID:
        raise BadInput(f"The {field} is not valid.")
    return int(value)


def quantity(raw: object, default: int = 1) -> int:
    """A quantity from a form: blank is ``default``; 1..MAX_LINE_QUANTITY, else refused."""
    value = text(raw, field="quantity", limit=10).strip()
    if not value:
        return default
    if not re.fullmatch(r"-?[0-9]{1,9}", value):
        raise BadInput("The quantity must be a whole number.")
    number = int(value)
    if not 0 < number <= MAX_LINE_QUANTITY:
        raise BadInput(f"The quantity must be between 1 and {MAX_LINE_QUANTITY}.")
    return number


def page_number(raw: object) -> int:
    """``?page=``: blank is 1; a whole number from 1 to :data:`MAX_PAGE`, else refused."""
    value = text(raw, field="page number", limit=10).strip()
    if not value:
        return 1
    if not _DIGITS.fullmatch(value) or not 0 < int(value) <= MAX_PAGE:
        raise BadInput("The page number is not valid.")
    return int(value)
