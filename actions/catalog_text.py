"""Sentences about products: price, stock, sizes, colours, specs, comparisons and filters.

Prices through :func:`shop.money.format_money`, the one formatter every channel uses.
"""

from __future__ import annotations

import json
from typing import Optional, Sequence

from rasa_sdk.executor import CollectingDispatcher

from shop.catalog import Comparison, Match, ProductFacts, StockAnswer
from shop.catalog_query import Filters
from shop.money import format_money as money

__all__ = [
    "colors_text",
    "compare_text",
    "filters_text",
    "not_found",
    "overview_text",
    "price_text",
    "sizes_text",
    "specs_text",
    "stock_text",
    "which_one",
]


def price_text(p: ProductFacts) -> str:
    """The price as said: the sale price with the usual one and the promotion when on sale."""
    if p.sale_price is not None and p.sale_price < p.price:
        return f"{money(p.sale_price)} right now (usually {money(p.price)}, {p.promotion})"
    return money(p.price)


def overview_text(p: ProductFacts) -> str:
    """Name, brand, price and what is in stock: the answer to a general question."""
    parts = [f"The {p.name} by {p.brand} ({p.sku}) is {price_text(p)}."]
    if p.in_stock:
        variants = []
        if p.sizes_in_stock:
            variants.append("sizes " + ", ".join(p.sizes_in_stock))
        if p.colors_in_stock:
            variants.append("colours " + ", ".join(p.colors_in_stock))
        parts.append("In stock" + (f" in {'; '.join(variants)}." if variants else "."))
    else:
        parts.append("It's out of stock at the moment.")
    return " ".join(parts)


def stock_text(a: StockAnswer) -> str:
    """Whether the asked size/colour is in stock, how many, or what else is still available."""
    p = a.product
    want = " ".join(x for x in (a.color, f"size {a.size}" if a.size else None) if x)
    label = f"the {p.name} in {want}" if want else f"the {p.name}"
    if not a.offered:
        options = []
        if a.size and p.sizes:
            options.append("sizes " + ", ".join(p.sizes))
        if a.color and p.colors:
            options.append("colours " + ", ".join(p.colors))
        made = f" It comes in {'; '.join(options)}." if options else ""
        return f"We don't make {label}.{made}"
    if a.in_stock:
        few = " Only a few left!" if a.quantity <= 5 else ""
        return f"Yes, {label} is in stock ({a.quantity} available).{few} Price: {price_text(p)}."
    alt = ", ".join(" ".join(x for x in (v.color, v.size) if x) for v in a.alternatives[:6])
    also = f" Still available: {alt}." if alt else ""
    return f"Sorry, {label} is sold out right now.{also}"


def sizes_text(p: ProductFacts) -> str:
    """Every size the product comes in and the ones in stock."""
    if not p.sizes:
        return f"The {p.name} comes in one size. {overview_text(p)}"
    stocked = ", ".join(p.sizes_in_stock) or "none right now"
    return f"The {p.name} comes in sizes {', '.join(p.sizes)}. In stock: {stocked}."


def colors_text(p: ProductFacts) -> str:
    """Every colour the product comes in and the ones in stock."""
    if not p.colors:
        return f"The {p.name} comes in one colour. {overview_text(p)}"
    stocked = ", ".join(p.colors_in_stock) or "none right now"
    return f"The {p.name} comes in {', '.join(p.colors)}. In stock: {stocked}."


def specs_text(p: ProductFacts) -> str:
    """Category, price, materials, description and rating."""
    parts = [f"{p.name} by {p.brand} ({p.category}), {price_text(p)}."]
    if p.materials:
        parts.append(f"Materials: {p.materials}.")
    if p.description:
        parts.append(p.description)
    if p.rating is not None:
        parts.append(f"Rated {p.rating}/5 by shoppers.")
    return " ".join(parts)


def compare_text(c: Comparison) -> str:
    """Two products side by side, then which is cheaper and which is rated higher."""
    if "same product" in c.notes:
        return f"Those are the same product: {overview_text(c.a)}"
    lines = [f"{c.a.name} vs {c.b.name}:"]
    lines += [f"- {label}: {va} | {vb}" for label, va, vb in c.rows]
    names = {c.a.sku: c.a.name, c.b.sku: c.b.name}
    if c.cheaper_sku:
        lines.append(f"The {names[c.cheaper_sku]} is {money(c.price_difference)} cheaper.")
    if c.better_rated_sku:
        lines.append(f"The {names[c.better_rated_sku]} is rated higher.")
    return "\n".join(lines)


def filters_text(f: Filters) -> str:
    """The filters a shopper set, in words ("jackets, red, size M, under $80")."""
    parts = []
    if f.category:
        parts.append(f.category.lower())
    if f.color:
        parts.append(f.color)
    if f.size:
        parts.append(f"size {f.size}")
    if f.min_price is not None:
        parts.append(f"from {money(f.min_price)}")
    if f.max_price is not None:
        parts.append(f"under {money(f.max_price)}")
    if f.exclude_colors:
        parts.append("not " + "/".join(f.exclude_colors))
    return ", ".join(parts)


def which_one(dispatcher: CollectingDispatcher, candidates: Sequence[Match], intent: str) -> None:
    """Ask which of several matching products is meant, one button per product."""
    dispatcher.utter_message(
        text="I found a few products with that name. Which one do you mean?",
        buttons=[
            {
                "title": f"{m.name} ({m.sku})",
                "payload": f"/{intent}" + json.dumps({"product": m.sku}),
            }
            for m in candidates[:5]
        ],
    )


def not_found(dispatcher: CollectingDispatcher, name: Optional[str]) -> None:
    """Say no product has that name and invite a description to search by."""
    what = f' called "{name[:60]}"' if name else " by that name"
    dispatcher.utter_message(
        text=(
            f"Sorry, I couldn't find a product{what} in our shop. Could you describe what you're "
            'looking for, e.g. "waterproof jacket under $80 in M"? I\'ll suggest a few.'
        )
    )
