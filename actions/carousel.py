"""Product carousels: the custom payload the web widget and Telegram render, plus the text
REST clients and other channels read instead.

Payload (docs/channels-web.md): ``{"type": "carousel", "intro", "text", "products": [{"sku",
"title", "price", "image", "url"}]}``. ``text`` repeats the numbered text message sent just
before the cards, so a client that draws the cards can put ``intro`` in its place instead of
showing the same products twice (the widget does). The widget's "More like this" sends
``/recommend_product{"product": "<sku>"}``. Titles are the product's name in the shopper's
language (:func:`shop.catalog_rows.display_name`: the Chinese one for zh when it has one).
Prices are :func:`shop.money.format_money`'s for
the shopper's locale, links the storefront's own (:func:`shop.urls.product_url` /
:func:`shop.urls.image_url`, built once in :class:`shop.catalog_rows.ProductSummary`).
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

from shop import messages as m
from shop.catalog_rows import display_name
from shop.recommend import Recommendation

MAX_CARDS = 5


def carousel_payload(
    recs: Sequence[Recommendation],
    intro: Optional[str] = None,
    text: Optional[str] = None,
    lang: str = "en",
) -> Dict[str, Any]:
    """The custom payload the widget and Telegram render as cards, prices and links from shop.

    ``intro`` / ``text``: the heading line and the numbered text fallback sent with the cards;
    prices in ``lang``'s locale.
    """
    payload: Dict[str, Any] = {"type": "carousel"}
    if intro is not None:
        payload["intro"] = intro
    if text is not None:
        payload["text"] = text
    return {
        **payload,
        "products": [
            {
                "sku": r.sku,
                "title": display_name(r, lang),
                "price": m.money(r.price, lang),
                "image": r.image_url,
                "url": r.url,
            }
            for r in recs[:MAX_CARDS]
        ],
    }


def carousel_text(intro: str, recs: Sequence[Recommendation], lang: str = "en") -> str:
    """The same products as numbered lines: the fallback for channels without carousels."""
    lines = [intro]
    for i, r in enumerate(recs[:MAX_CARDS], 1):
        lines.append(
            m.text(
                "carousel.line",
                lang,
                n=i,
                name=display_name(r, lang),
                brand=r.brand,
                price=m.money(r.price, lang),
            )
        )
    return "\n".join(lines)
