"""Turning the bot's text into what Telegram accepts: HTML parse mode, 4096-char messages.

We use Telegram's HTML parse mode rather than MarkdownV2: only ``<``, ``>`` and ``&`` need
escaping, so any text the bot produces (prices, ``#104523``, ``SAVE10!``, emails with ``_``)
arrives verbatim. A small Markdown subset that responses use - ``[label](https://...)`` links
and ``**bold**`` - is turned into the matching HTML tags; everything else is escaped text.
"""

from __future__ import annotations

import html
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, List, Mapping

from shop.money import DEFAULT_CURRENCY, UnknownCurrency, format_money

#: Telegram's limit for a text message and for a photo caption, after entity parsing.
MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024

_MARKUP = re.compile(r"\[(?P<label>[^\[\]\n]+)\]\((?P<url>https?://[^\s()]+)\)|\*\*(?P<bold>[^*\n]+)\*\*")


def utf16_len(text: str) -> int:
    """Telegram counts message length in UTF-16 code units (an emoji can count twice)."""
    return len(text.encode("utf-16-le")) // 2


def to_html(text: str) -> str:
    """Escape ``text`` for HTML parse mode, turning Markdown links and bold into tags."""
    out: List[str] = []
    pos = 0
    for match in _MARKUP.finditer(text):
        out.append(html.escape(text[pos : match.start()], quote=False))
        if match.group("bold") is not None:
            out.append(f"<b>{html.escape(match.group('bold'), quote=False)}</b>")
        else:
            url = html.escape(match.group("url"), quote=True)
            out.append(f'<a href="{url}">{html.escape(match.group("label"), quote=False)}</a>')
        pos = match.end()
    out.append(html.escape(text[pos:], quote=False))
    return "".join(out)


def _fit(text: str, limit: int) -> int:
    """The longest prefix (in code points) whose UTF-16 length is at most ``limit``."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> List[str]:
    """Split ``text`` into messages of at most ``limit`` UTF-16 units.

    Cuts at the last paragraph break that fits, else the last line break, else the last
    space, else hard at the limit. Empty parts are dropped.
    """
    parts: List[str] = []
    rest = text.strip()
    while rest:
        end = _fit(rest, limit)
        if end >= len(rest):
            parts.append(rest)
            break
        window = rest[:end]
        cut = -1
        for sep in ("\n\n", "\n", " "):
            cut = window.rfind(sep)
            if cut > 0:
                break
        if cut <= 0:
            cut = end
        part = rest[:cut].strip()
        if part:
            parts.append(part)
        rest = rest[cut:].strip()
    return parts


def format_price(value: Any, currency: str = DEFAULT_CURRENCY) -> str:
    """A carousel price as the shopper reads it (``shop.money``): ``19.9`` -> ``$19.90``.

    Strings such as ``"$19.90"`` were formatted by the action already and are kept. A number
    from the JSON payload is read through its ``repr`` (no float arithmetic). An amount that
    is not a number, or a currency the shop does not sell in, is shown as it came.
    """
    if isinstance(value, str):
        return value
    try:
        return format_money(Decimal(str(value)), currency)
    except (InvalidOperation, UnknownCurrency, ValueError, TypeError):
        return f"{value} {currency}".strip()


def product_caption(product: Mapping[str, Any], currency: str = DEFAULT_CURRENCY) -> str:
    """HTML caption for one carousel product: bold title, price, link to the product page."""
    title = str(product.get("title") or product.get("name") or product.get("sku") or "Product")
    lines = [f"<b>{html.escape(title, quote=False)}</b>"]
    if product.get("price") not in (None, ""):
        lines.append(html.escape(format_price(product["price"], currency), quote=False))
    url = product.get("url")
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        lines.append(f'<a href="{html.escape(url, quote=True)}">View product</a>')
    caption = "\n".join(lines)
    if utf16_len(caption) > CAPTION_LIMIT:  # only an absurd title gets here: drop the markup
        caption = html.escape(split_text(title, CAPTION_LIMIT - 1)[0], quote=False)
    return caption


def summarize_json(payload: Dict[str, Any], limit: int = 1000) -> str:
    """A readable plain-text rendering of a custom payload Telegram has no widget for."""
    if isinstance(payload.get("text"), str) and payload["text"].strip():
        return payload["text"]
    lines = []
    for key, value in payload.items():
        if isinstance(value, str | int | float | bool) or value is None:
            lines.append(f"{key}: {value}")
        elif isinstance(value, list):
            lines.append(f"{key}: {len(value)} item(s)")
        else:
            lines.append(f"{key}: …")
    summary = "\n".join(lines) or "(empty message)"
    return summary if len(summary) <= limit else summary[: limit - 1] + "…"
