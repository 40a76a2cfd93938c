"""What the storefront accepts from a browser: every query parameter, form field and path part.

Each reader returns a clean value or raises :class:`BadInput` with a sentence for the shopper
(the app answers it with a 400 page); nothing a client sends reaches SQL or a redirect unchecked.
"""

from __future__ import annotations

import re

from shop.pricing.service import MAX_LINE_QUANTITY
from shop.urls import MAX_NEXT_CHARS, has_control_chars, safe_next
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

MAX_PAGE = 10_000
_DIGITS = re.compile(r"[0-9]{1,19}")


class BadInput(ValueError):
    """A request field the storefront will not use; ``str(e)`` is a sentence for the shopper."""


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
