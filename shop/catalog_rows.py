"""Reading the catalog: what the index embeds, and the summary every product list shows.

- :class:`CatalogRow`: one row per product with its variant sizes and colours, read with two
  SELECTs and hashed without encoding anything, so checking whether the index is stale costs
  milliseconds even at the demo size.
- :class:`ProductSummary`: the fields a card shows (a carousel, a search hit, the storefront's
  grid), price quantized by :mod:`shop.money`, links built by :mod:`shop.urls` only.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.orm import sessionmaker

from shop.db.models import Product, ProductVariant
from shop.money import quantize
from shop.urls import image_url, product_url

#: Ids per ``IN (...)`` when reading summaries (well under every database's parameter limit).
SUMMARY_CHUNK = 500


@dataclass(frozen=True)
class CatalogRow:
    """A product as the index embeds it; :meth:`text` is what gets encoded."""

    id: int
    sku: str
    name: str
    brand: str
    category: str
    description: str
    materials: str
    colors: tuple[str, ...]
    sizes: tuple[str, ...]

    def text(self) -> str:
        """The text that gets embedded for this product."""
        parts = [self.name, self.brand, self.category]
        if self.colors:
            parts.append("colours: " + ", ".join(self.colors))
        if self.materials:
            parts.append("materials: " + self.materials)
        if self.description:
            parts.append(self.description)
        return ". ".join(p for p in parts if p)


def _unique(values: list[str | None]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for v in values:
        if v and v.strip():
            seen.setdefault(v.strip(), None)
    return tuple(seen)


def read_catalog(session_factory: sessionmaker) -> list[CatalogRow]:
    """All products sorted by id, with the distinct sizes and colours of their variants."""
    sizes: dict[int, list[str | None]] = defaultdict(list)
    colors: dict[int, list[str | None]] = defaultdict(list)
    with session_factory() as s:
        for pid, size, color in s.execute(
            select(ProductVariant.product_id, ProductVariant.size, ProductVariant.color).order_by(
                ProductVariant.product_id, ProductVariant.id
            )
        ):
            sizes[pid].append(size)
            colors[pid].append(color)
        products = s.execute(
            select(
                Product.id,
                Product.sku,
                Product.name,
                Product.brand,
                Product.category,
                Product.description,
                Product.materials,
            ).order_by(Product.id)
        ).all()
    return [
        CatalogRow(
            id=p.id,
            sku=p.sku,
            name=p.name,
            brand=p.brand or "",
            category=p.category or "",
            description=p.description or "",
            materials=p.materials or "",
            colors=_unique(colors.get(p.id, [])),
            sizes=_unique(sizes.get(p.id, [])),
        )
        for p in products
    ]


def fingerprint(rows: list[CatalogRow], model_name: str, index_type: str) -> str:
    """sha256 over the indexed fields of the products (sorted by id), the model and index type.

    Price and stock are not indexed (filters read them live from the DB), so changing them
    does not make the index stale.
    """
    h = hashlib.sha256()
    h.update(json.dumps({"model": model_name, "index_type": index_type}).encode())
    for r in sorted(rows, key=lambda r: r.id):
        h.update(b"\x1e")
        h.update(json.dumps([r.id, r.sku, r.text()], ensure_ascii=False).encode())
    return h.hexdigest()


def vocabulary_fingerprint(rows: list[CatalogRow]) -> str:
    """sha256 over what the spaCy entity ruler is built from (names, brands, sizes, colours)."""
    h = hashlib.sha256(b"spacy-catalog-v1")
    for r in sorted(rows, key=lambda r: r.id):
        h.update(
            json.dumps(
                [r.id, r.sku, r.name, r.brand, r.category, r.colors, r.sizes], ensure_ascii=False
            ).encode()
        )
    return h.hexdigest()


@dataclass(frozen=True)
class ProductSummary:
    """A product as a list shows it, so every list (carousel, search, grid) reads it one way.

    ``url`` and ``image_url`` are the storefront's (:func:`shop.urls.product_url` and
    :func:`shop.urls.image_url`): the pages a card links to are the pages the storefront serves.
    """

    product_id: int
    sku: str
    name: str
    brand: str
    category: str
    price: Decimal
    image_url: str
    url: str
    rating: Decimal | None
    #: The Chinese display name, "" when there is none (:func:`display_name`).
    name_zh: str


def summarize(product: Product | Row) -> ProductSummary:
    """The summary of one loaded ``Product`` (or a row of its columns): price quantized, links
    from shop.urls."""
    return ProductSummary(
        product_id=product.id,
        sku=product.sku,
        name=product.name,
        brand=product.brand or "",
        category=product.category or "",
        price=quantize(Decimal(product.price)),
        image_url=image_url(product.sku),
        url=product_url(product.sku),
        rating=product.rating,
        name_zh=product.name_zh or "",
    )


#: The columns a summary reads: a plain SELECT of these costs a fraction of loading ORM objects.
_SUMMARY_COLUMNS = (
    Product.id,
    Product.sku,
    Product.name,
    Product.brand,
    Product.category,
    Product.price,
    Product.rating,
    Product.name_zh,
)


def read_summaries(session_factory: sessionmaker, ids: Iterable[int]) -> dict[int, ProductSummary]:
    """Summaries of the products with these ids (unknown ids are left out), by id.

    The same fields as :func:`summarize`, read as columns rather than ``Product`` objects
    (issue 13: the ORM load was ~a fifth of a search's CPU).
    """
    wanted = sorted(set(ids))
    out: dict[int, ProductSummary] = {}
    with session_factory() as s:
        for i in range(0, len(wanted), SUMMARY_CHUNK):
            chunk = wanted[i : i + SUMMARY_CHUNK]
            for p in s.execute(select(*_SUMMARY_COLUMNS).where(Product.id.in_(chunk))):
                out[p.id] = summarize(p)
    return out


class Named(Protocol):
    """Anything with an English and a Chinese name (a summary, a recommendation, a match)."""

    @property
    def name(self) -> str:
        """The English name."""

    @property
    def name_zh(self) -> str:
        """The Chinese name, "" when there is none."""


def display_name(product: Named, language: str | None) -> str:
    """The name to show a shopper writing ``language``: the Chinese one for ``zh`` (``zh-CN``,
    ``zh_Hans``...) when the product has it, else the English name.
    """
    lang = (language or "").strip().lower().replace("_", "-").split("-")[0]
    if lang == "zh" and (product.name_zh or "").strip():
        return product.name_zh.strip()
    return product.name


def read_chinese_names(session_factory: sessionmaker) -> list[tuple[str, str, str]]:
    """``(name_zh, name, brand)`` of every product with a Chinese name, by id."""
    with session_factory() as s:
        rows = s.execute(
            select(Product.name_zh, Product.name, Product.brand)
            .where(Product.name_zh.is_not(None), Product.name_zh != "")
            .order_by(Product.id)
        ).all()
    return [(r.name_zh, r.name, r.brand or "") for r in rows]
