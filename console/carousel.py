"""A bot's product carousel as the console shows it: cards (picture, name, price, link).

The bot sends a carousel as a custom payload (``actions/carousel.py``)::

    {"type": "carousel", "products": [{"sku", "title" (or "name"), "price", "image", "url"}]}

The tracker store keeps it as the bot sent it, so it is read as untrusted data: each card
needs a SKU; its link and picture are built from that SKU by ``shop.urls`` on the
storefront the console names (never taken from the payload, so an old payload's wrong path
or a ``javascript:`` URL never reaches a page); a number for a price is formatted by
``shop.money``; text is cut to a sane length and escaped by the template.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from shop.money import DEFAULT_CURRENCY, UnknownCurrency, format_money
from shop.urls import has_control_chars, image_url, product_url

__all__ = ["MAX_CARDS", "cards"]

#: cards shown per carousel (the bot sends at most 5)
MAX_CARDS = 10
SKU_MAX_CHARS = 64
NAME_MAX_CHARS = 200
PRICE_MAX_CHARS = 40


def cards(payload: Any, storefront_url: str) -> list[dict[str, str]]:
    """The cards of a carousel payload (``[]`` for any other payload).

    Each card has ``sku``, ``name``, ``price`` (text), ``url`` and ``image`` (absolute under
    ``storefront_url`` when it is set).
    """
    if not isinstance(payload, dict) or payload.get("type") != "carousel":
        return []
    products = payload.get("products")
    if not isinstance(products, list):
        return []
    env = {"STOREFRONT_PUBLIC_URL": storefront_url}
    out = []
    for product in products[:MAX_CARDS]:
        if not isinstance(product, dict):
            continue
        sku = _text(product.get("sku"), SKU_MAX_CHARS)
        if not sku:
            continue
        out.append(
            {
                "sku": sku,
                "name": _text(product.get("title") or product.get("name"), NAME_MAX_CHARS) or sku,
                "price": _price(product.get("price"), product.get("currency")),
                "url": product_url(sku, env),
                "image": image_url(sku, env),
            }
        )
    return out


def _text(value: Any, limit: int) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool):
        return ""
    text = " ".join(str(value).split())
    return "" if has_control_chars(text) else text[:limit]


def _price(value: Any, currency: Any) -> str:
    """The price as sent when it is text (``$59.99``), else a number formatted with its currency."""
    if isinstance(value, str) and not _is_number(value):
        return _text(value, PRICE_MAX_CHARS)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    code = currency.upper() if isinstance(currency, str) and currency else DEFAULT_CURRENCY
    try:
        return format_money(Decimal(str(value)), code)
    except (InvalidOperation, UnknownCurrency, ValueError):
        return _text(str(value), PRICE_MAX_CHARS)


def _is_number(text: str) -> bool:
    try:
        return Decimal(text.strip()).is_finite()
    except InvalidOperation:
        return False
