"""Placeholder product images: a small SVG per SKU, drawn locally (no network)."""

from __future__ import annotations

import hashlib
from html import escape

PALETTE = ("#2f6f8f", "#8f4f2f", "#4f8f3f", "#6f3f8f", "#8f7f2f", "#2f8f7f", "#8f2f4f", "#3f4f8f")


def product_svg(sku: str, label: str) -> str:
    """A square tile coloured by the SKU with the product's initials and the SKU."""
    digest = hashlib.sha256(sku.encode("utf-8")).digest()
    bg = PALETTE[digest[0] % len(PALETTE)]
    accent = PALETTE[digest[1] % len(PALETTE)]
    initials = "".join(w[0] for w in label.split()[:2] if w[:1].isalnum()).upper() or "?"
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="320" viewBox="0 0 320 320" '
        f'role="img" aria-label="{escape(label)}">'
        f'<rect width="320" height="320" fill="{bg}"/>'
        f'<circle cx="240" cy="80" r="{40 + digest[2] % 50}" fill="{accent}" opacity="0.55"/>'
        f'<rect x="30" y="{200 + digest[3] % 40}" width="{120 + digest[4] % 120}" height="18" rx="9" '
        'fill="#ffffff" opacity="0.35"/>'
        '<text x="160" y="170" font-family="sans-serif" font-size="72" font-weight="700" '
        f'fill="#ffffff" text-anchor="middle">{escape(initials)}</text>'
        '<text x="160" y="300" font-family="monospace" font-size="16" fill="#ffffff" '
        f'text-anchor="middle" opacity="0.8">{escape(sku)}</text>'
        "</svg>"
    )
