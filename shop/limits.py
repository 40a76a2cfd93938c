"""Input limits every channel applies before a message reaches NLU.

One place for the numbers, so REST, socket.io and Telegram answer an oversized message
the same way and the README can state the limit.
"""

from __future__ import annotations

from shop import settings as shop_settings

__all__ = ["DEFAULT_MAX_MESSAGE_CHARS", "max_message_chars", "too_long_text"]

#: Characters of one shopper message; longer ones are answered at once and not parsed.
DEFAULT_MAX_MESSAGE_CHARS: int = shop_settings.ShopSettings.max_message_chars


def max_message_chars() -> int:
    """``SHOP_MAX_MESSAGE_CHARS`` (default 2,000; values below 100 are raised to 100)."""
    try:
        value = int(shop_settings.value("SHOP_MAX_MESSAGE_CHARS"))
    except ValueError:
        value = DEFAULT_MAX_MESSAGE_CHARS
    return max(100, value)


def too_long_text(limit: int | None = None) -> str:
    """What the shopper hears when a message is over the limit."""
    limit = max_message_chars() if limit is None else limit
    return (
        f"Sorry, that message is too long for me (the limit is {limit:,} characters). "
        "Could you shorten it, or split it into a few messages?"
    )


def empty_text() -> str:
    """What the shopper hears for a message with no text in it (only spaces, or nothing)."""
    return (
        "I didn't get any text there. You can ask about an order, a return or refund, "
        "a product, or a coupon."
    )
