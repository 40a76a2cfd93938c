"""Sentences about products: price, stock, sizes, colours, specs, comparisons and filters.

Templates from :mod:`shop.messages`, prices through :func:`shop.messages.money` (the shop's
one formatter, :func:`shop.money.format_money`, for the shopper's locale). Product names are
the shopper's language's (:func:`shop.catalog_rows.display_name`: Chinese for zh when the
product has a Chinese name); brands, sizes and colours are the catalog's own words.
``lang`` defaults to English.
"""

from __future__ import annotations

import json
from typing import Optional, Sequence

from rasa_sdk.executor import CollectingDispatcher

from shop import messages as m
from shop.catalog import Comparison, Match, ProductFacts, StockAnswer
from shop.catalog_query import Filters
from shop.catalog_rows import display_name

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


def _words(items: Sequence[str], lang: str) -> str:
    return m.join("comma", items, lang)


def _sale_or_price(p: ProductFacts, lang: str, key: str, on_sale: bool) -> str:
    """``key`` (sale price, usual price, promotion) when ``on_sale``, else the plain price."""
    if on_sale and p.sale_price is not None:
        return m.text(
            key, lang, sale=m.money(p.sale_price, lang), price=m.money(p.price, lang), promotion=p.promotion
        )
    return m.money(p.price, lang)


def price_text(p: ProductFacts, lang: str = "en") -> str:
    """The price as said: the sale price with the usual one and the promotion when on sale."""
    return _sale_or_price(p, lang, "product.on_sale", p.sale_price is not None and p.sale_price < p.price)


def overview_text(p: ProductFacts, lang: str = "en") -> str:
    """Name, brand, price and what is in stock: the answer to a general question."""
    parts = [
        m.text(
            "product.overview",
            lang,
            name=display_name(p, lang),
            brand=p.brand,
            sku=p.sku,
            price=price_text(p, lang),
        )
    ]
    if p.in_stock:
        variants = []
        if p.sizes_in_stock:
            variants.append(m.text("product.sizes_list", lang, sizes=_words(p.sizes_in_stock, lang)))
        if p.colors_in_stock:
            variants.append(m.text("product.colors_list", lang, colors=_words(p.colors_in_stock, lang)))
        if variants:
            parts.append(m.text("product.in_stock_in", lang, variants=m.join("list", variants, lang)))
        else:
            parts.append(m.text("product.in_stock", lang))
    else:
        parts.append(m.text("product.out_of_stock", lang))
    return m.join("sentence", parts, lang)


def stock_text(a: StockAnswer, lang: str = "en") -> str:
    """Whether the asked size/colour is in stock, how many, or what else is still available."""
    p = a.product
    size = m.text("product.size", lang, size=a.size) if a.size else None
    want = m.join("space", (x for x in (a.color, size) if x), lang)
    label = (
        m.text("product.label_variant", lang, name=display_name(p, lang), variant=want)
        if want
        else m.text("product.label", lang, name=display_name(p, lang))
    )
    if not a.offered:
        options = []
        if a.size and p.sizes:
            options.append(m.text("product.sizes_list", lang, sizes=_words(p.sizes, lang)))
        if a.color and p.colors:
            options.append(m.text("product.colors_list", lang, colors=_words(p.colors, lang)))
        made = m.text("product.comes_in", lang, options=m.join("list", options, lang)) if options else ""
        return m.text("stock.not_made", lang, label=label, made=made)
    if a.in_stock:
        few = m.text("stock.few_left", lang) if a.quantity <= 5 else ""
        return m.text(
            "stock.in_stock",
            lang,
            label=label,
            quantity=m.number(a.quantity, lang),
            few=few,
            price=price_text(p, lang),
        )
    alt = _words(
        [m.join("space", (x for x in (v.color, v.size) if x), lang) for v in a.alternatives[:6]], lang
    )
    also = m.text("stock.still_available", lang, options=alt) if alt else ""
    return m.text("stock.sold_out", lang, label=label, also=also)


def sizes_text(p: ProductFacts, lang: str = "en") -> str:
    """Every size the product comes in and the ones in stock."""
    if not p.sizes:
        return m.text("product.one_size", lang, name=display_name(p, lang), overview=overview_text(p, lang))
    stocked = _words(p.sizes_in_stock, lang) or m.text("product.none_now", lang)
    return m.text(
        "product.sizes", lang, name=display_name(p, lang), sizes=_words(p.sizes, lang), stocked=stocked
    )


def colors_text(p: ProductFacts, lang: str = "en") -> str:
    """Every colour the product comes in and the ones in stock."""
    if not p.colors:
        return m.text("product.one_colour", lang, name=display_name(p, lang), overview=overview_text(p, lang))
    stocked = _words(p.colors_in_stock, lang) or m.text("product.none_now", lang)
    return m.text(
        "product.colours", lang, name=display_name(p, lang), colors=_words(p.colors, lang), stocked=stocked
    )


def specs_text(p: ProductFacts, lang: str = "en") -> str:
    """Category, price, materials, description and rating."""
    parts = [
        m.text(
            "product.specs",
            lang,
            name=display_name(p, lang),
            brand=p.brand,
            category=p.category,
            price=price_text(p, lang),
        )
    ]
    if p.materials:
        parts.append(m.text("product.materials", lang, materials=p.materials))
    if p.description:
        parts.append(p.description)
    if p.rating is not None:
        parts.append(m.text("product.rating", lang, rating=p.rating))
    return m.join("sentence", parts, lang)


def _compare_price(p: ProductFacts, lang: str) -> str:
    return _sale_or_price(p, lang, "compare.was", p.sale_price is not None)


def _compare_rows(c: Comparison, lang: str) -> list[tuple[str, str, str]]:
    """The rows of :meth:`shop.catalog.CatalogService.compare`, labelled in ``lang``."""
    a, b = c.a, c.b

    def stocked(values: Sequence[str]) -> str:
        return _words(values, lang) or "-"

    return [
        (m.text("compare.price", lang), _compare_price(a, lang), _compare_price(b, lang)),
        (m.text("compare.brand", lang), a.brand, b.brand),
        (m.text("compare.category", lang), a.category, b.category),
        (m.text("compare.materials", lang), a.materials or "-", b.materials or "-"),
        (m.text("compare.rating", lang), str(a.rating or "-"), str(b.rating or "-")),
        (m.text("compare.sizes", lang), stocked(a.sizes_in_stock), stocked(b.sizes_in_stock)),
        (m.text("compare.colours", lang), stocked(a.colors_in_stock), stocked(b.colors_in_stock)),
    ]


def compare_text(c: Comparison, lang: str = "en") -> str:
    """Two products side by side, then which is cheaper and which is rated higher."""
    if "same product" in c.notes:
        return m.text("compare.same", lang, overview=overview_text(c.a, lang))
    lines = [m.text("compare.head", lang, a=display_name(c.a, lang), b=display_name(c.b, lang))]
    lines += [
        m.text("compare.row", lang, label=label, a=va, b=vb) for label, va, vb in _compare_rows(c, lang)
    ]
    names = {c.a.sku: display_name(c.a, lang), c.b.sku: display_name(c.b, lang)}
    if c.cheaper_sku:
        lines.append(
            m.text(
                "compare.cheaper",
                lang,
                name=names[c.cheaper_sku],
                difference=m.money(c.price_difference, lang),
            )
        )
    if c.better_rated_sku:
        lines.append(m.text("compare.better_rated", lang, name=names[c.better_rated_sku]))
    return "\n".join(lines)


def filters_text(f: Filters, lang: str = "en") -> str:
    """The filters a shopper set, in words ("jackets, red, size M, under $80")."""
    parts = []
    if f.category:
        parts.append(f.category.lower())
    if f.color:
        parts.append(f.color)
    if f.size:
        parts.append(m.text("product.size", lang, size=f.size))
    if f.min_price is not None:
        parts.append(m.text("filter.from", lang, price=m.money(f.min_price, lang)))
    if f.max_price is not None:
        parts.append(m.text("filter.under", lang, price=m.money(f.max_price, lang)))
    if f.exclude_colors:
        parts.append(m.text("filter.not", lang, colors="/".join(f.exclude_colors)))
    return _words(parts, lang)


def which_one(
    dispatcher: CollectingDispatcher, candidates: Sequence[Match], intent: str, lang: str = "en"
) -> None:
    """Ask which of several matching products is meant, one button per product."""
    dispatcher.utter_message(
        text=m.text("product.which_one", lang),
        buttons=[
            {
                "title": m.text("fmt.with_variant", lang, name=display_name(c, lang), variant=c.sku),
                "payload": f"/{intent}" + json.dumps({"product": c.sku}),
            }
            for c in candidates[:5]
        ],
    )


def not_found(dispatcher: CollectingDispatcher, name: Optional[str], lang: str = "en") -> None:
    """Say no product has that name and invite a description to search by."""
    what = m.text("product.called", lang, name=name[:60]) if name else m.text("product.by_that_name", lang)
    dispatcher.utter_message(text=m.text("product.not_found", lang, what=what))
