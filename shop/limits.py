"""Input limits every channel applies before a message reaches NLU.

One place for the numbers, so REST, socket.io and Telegram answer an oversized message
the same way and the README can state the limit.
"""

from __future__ import annotations

from shop import messages
from shop import settings as shop_settings

__all__ = ["DEFAULT_MAX_MESSAGE_CHARS", "busy_text", "empty_text", "max_message_chars", "too_long_text"]

#: Characters of one shopper message; longer ones are answered at once and not parsed.
DEFAULT_MAX_MESSAGE_CHARS: int = shop_settings.ShopSettings.max_message_chars


def max_message_chars() -> int:
    """``SHOP_MAX_MESSAGE_CHARS`` (default 2,000; values below 100 are raised to 100)."""
    try:
        value = int(shop_settings.value("SHOP_MAX_MESSAGE_CHARS"))
    except ValueError:
        value = DEFAULT_MAX_MESSAGE_CHARS
    return max(100, value)


def too_long_text(limit: int | None = None, lang: str | None = None) -> str:
    """What the shopper hears when a message is over the limit (in ``lang``, default English)."""
    limit = max_message_chars() if limit is None else limit
    return messages.text("guard.too_long", lang, limit=messages.number(limit, lang))


def empty_text(lang: str | None = None) -> str:
    """What the shopper hears for a message with no text in it (only spaces, or nothing)."""
    return messages.text("guard.empty", lang)


def busy_text(lang: str | None = None) -> str:
    """What a message beyond a conversation's burst hears (ops/admission.py): not read."""
    return messages.text("guard.busy", lang)
