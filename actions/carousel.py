"""Product carousels: the custom payload the web widget and Telegram render, plus the text
REST clients and other channels read instead.

Payload (docs/channels-web.md): ``{"type": "carousel", "products": [{"sku", "title",
"price", "image", "url"}]}``; the widget's "More like this" sends
``/recommend_product{"product": "<sku>"}``. Prices are :func:`shop.money.format_money`'s,
links the storefront's own (:func:`shop.urls.product_url` / :func:`shop.urls.image_url`, built
once in :class:`shop.catalog_rows.ProductSummary`).
"""

from __future__ import annotations

from typing import Any, Dict, Sequence

from shop.money import format_money
from shop.recommend import Recommendation

MAX_CARDS = 5


def carousel_payload(recs: Sequence[Recommendation]) -> Dict[str, Any]:
    """The custom payload the widget and Telegram render as cards, prices and links from shop."""
    return {
        "type": "carousel",
        "products": [
            {
                "sku": r.sku,
                "title": r.name,
                "price": format_money(r.price),
                "image": r.image_url,
                "url": r.url,
            }
            for r in recs[:MAX_CARDS]
        ],
    }


def carousel_text(intro: str, recs: Sequence[Recommendation]) -> str:
    """The same products as numbered lines: the fallback for channels without carousels."""
    lines = [intro]
    for i, r in enumerate(recs[:MAX_CARDS], 1):
        lines.append(f"{i}. {r.name} ({r.brand}) - {format_money(r.price)}")
    return "\n".join(lines)
