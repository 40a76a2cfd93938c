"""The demo catalog: categories, products with a price history, and their variants.

Drawn from :mod:`shop.seed.catalog_vocab` with the seed's ``random.Random``; the Chinese
name (``name_zh``) is read off the glossary (:func:`shop.catalog_i18n.chinese_name`) and
draws nothing, so the same seed gives the same catalog with or without it. Each product
gets a base price, one price factor per 15-day block of the history (demand in
:mod:`shop.seed.history` reacts to it), a Pareto popularity, and a complementary
partner product it is often bought with (shoe + socks), which the recommender mines.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import accumulate

from shop.catalog_i18n import chinese_name
from shop.seed.catalog_vocab import (
    BENEFITS,
    BRANDS_BY_PARENT,
    COLORS,
    COMPLEMENTS,
    LEAVES,
    MODEL_SUFFIXES,
    PARENTS,
    SENTENCE_CLOSERS,
    SENTENCE_FEATURES,
    SENTENCE_OPENERS,
    USES,
    Leaf,
)
from shop.seed.tables import HISTORY_DAYS, Row, SeedData
from shop.urls import image_url

__all__ = ["BLOCK_DAYS", "Catalog", "SeedProduct", "build_catalog"]

#: Prices move in blocks of this many days.
BLOCK_DAYS = 15
#: The factors a block's price is drawn from (repeats weight the draw towards list price).
PRICE_FACTORS = (0.9, 0.92, 0.95, 0.97, 1.0, 1.0, 1.0, 1.03, 1.05, 1.08, 1.1)


@dataclass
class SeedProduct:
    """A generated product and what the order history needs to know about it."""

    row: Row
    leaf: Leaf
    base: Decimal
    multipliers: tuple[float, ...]  # price factor per 15-day block, newest last
    popularity: float
    variant_ids: list[int]
    partner: int | None = None  # id of the product it is most often bought with

    @property
    def id(self) -> int:
        """The product's row id."""
        return int(self.row["id"])


@dataclass
class Catalog:
    """Every generated product, by id order and by leaf category, with popularity weights."""

    products: list[SeedProduct] = field(default_factory=list)
    by_leaf: dict[str, list[SeedProduct]] = field(default_factory=dict)
    #: leaf name -> cumulative popularity of ``by_leaf[leaf]``, for weighted picks with bisect.
    leaf_weights: dict[str, list[float]] = field(default_factory=dict)

    def product(self, product_id: int) -> SeedProduct:
        """The product with row id ``product_id`` (ids are 1-based positions)."""
        return self.products[product_id - 1]

    def first(self, leaf: str) -> SeedProduct:
        """The first product of a leaf category: what the fixed demo orders contain."""
        return self.by_leaf[leaf][0]


def build_catalog(data: SeedData, rng: random.Random, products: int) -> Catalog:
    """Add categories, ``products`` products and their variants to ``data``; returns the catalog."""
    if products < len(LEAVES):
        raise ValueError(f"need at least {len(LEAVES)} products, one per category")
    return _CatalogBuilder(data, rng).build(products)


def _leaf_counts(products: int) -> list[int]:
    """Products per leaf: one each, the rest by weight (largest remainders get the leftovers)."""
    total_w = sum(leaf.weight for leaf in LEAVES)
    spare = products - len(LEAVES)
    raw = [spare * leaf.weight / total_w for leaf in LEAVES]
    counts = [1 + int(r) for r in raw]
    by_remainder = sorted(range(len(LEAVES)), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    for i in by_remainder[: products - sum(counts)]:
        counts[i] += 1
    return counts


def _variant_sku(sku: str, size: str | None, color: str | None) -> str:
    """``<sku>-<size>-<first 4 letters of the colour>``, or ``<sku>-STD`` for neither."""
    if not (size or color):
        return f"{sku}-STD"
    parts = [sku, size, re.sub(r"\W", "", color)[:4].upper() if color else None]
    return "-".join(p for p in parts if p)


class _CatalogBuilder:
    def __init__(self, data: SeedData, rng: random.Random) -> None:
        self.data = data
        self.now: datetime = data.now
        self.rng = rng
        self.catalog = Catalog()

    def build(self, products: int) -> Catalog:
        category_ids = self._categories()
        rng, catalog = self.rng, self.catalog
        for leaf, count in zip(LEAVES, _leaf_counts(products), strict=False):
            brands = BRANDS_BY_PARENT[leaf.parent]
            names: set[str] = set()
            for _ in range(count):
                brand, name = "", ""
                for attempt in range(50):
                    suffix = rng.choice(MODEL_SUFFIXES) if attempt < 20 else rng.choice(MODEL_SUFFIXES[4:])
                    brand = rng.choice(brands)
                    parts = [brand, rng.choice(leaf.adjectives), rng.choice(leaf.nouns), suffix]
                    name = " ".join(p for p in parts if p)
                    if name not in names:
                        break
                names.add(name)
                self._add_product(leaf, brand, name, category_ids[leaf.name])
        for product in catalog.products:
            complements = COMPLEMENTS.get(product.leaf.name)
            if complements:
                pool = [p for p in catalog.by_leaf[rng.choice(complements)] if p is not product]
                product.partner = rng.choice(pool).id if pool else None
        for leaf_name, prods in catalog.by_leaf.items():
            catalog.leaf_weights[leaf_name] = list(accumulate(p.popularity for p in prods))
        return catalog

    def _categories(self) -> dict[str, int]:
        ids: dict[str, int] = {}
        for parent in PARENTS:
            ids[parent] = self.data.add("categories", {"name": parent, "parent_id": None})
        for leaf in LEAVES:
            ids[leaf.name] = self.data.add("categories", {"name": leaf.name, "parent_id": ids[leaf.parent]})
        return ids

    def _add_product(self, leaf: Leaf, brand: str, name: str, category_id: int) -> None:
        rng = self.rng
        pid = self.data.next_id("products")
        sku = f"{leaf.prefix}-{pid:06d}"
        lo, hi = leaf.price
        dollars = max(int(math.exp(rng.uniform(math.log(lo), math.log(hi)))), 5)
        base = Decimal(dollars) + Decimal(rng.choice(("0.99", "0.99", "0.95", "0.00", "0.50")))
        materials = rng.sample(leaf.materials, k=min(len(leaf.materials), rng.randint(1, 2)))
        material = materials[0]
        sentences = [
            rng.choice(SENTENCE_OPENERS).format(name=name, brand=brand, use=rng.choice(USES[leaf.parent])),
            rng.choice(SENTENCE_FEATURES).format(
                material=material,
                material_cap=material[:1].upper() + material[1:],
                benefit=rng.choice(BENEFITS),
            ),
        ]
        if rng.random() < 0.6:
            sentences.append(rng.choice(SENTENCE_CLOSERS).format(brand=brand))
        rating = Decimal(str(round(min(5.0, max(3.0, rng.gauss(4.3, 0.45))), 1)))
        blocks = HISTORY_DAYS // BLOCK_DAYS + 1
        multipliers = tuple(rng.choice(PRICE_FACTORS) for _ in range(blocks - 1)) + (1.0,)
        row: Row = {
            "id": pid, "sku": sku, "name": name, "name_zh": chinese_name(name, leaf.name, brand) or None,
            "brand": brand, "category": leaf.name,
            "category_id": category_id, "price": base, "stock": 0,
            "description": " ".join(sentences), "materials": ", ".join(materials),
            "rating": rating, "image_url": image_url(sku),
            "created_at": self.now - timedelta(days=rng.randint(200, 720)),
        }  # fmt: skip
        self.data.tables["products"].append(row)  # kept by reference: the variants add up its stock
        product = SeedProduct(row, leaf, base, multipliers, rng.paretovariate(1.3), [])
        self.catalog.products.append(product)
        self.catalog.by_leaf.setdefault(leaf.name, []).append(product)
        self._add_variants(product)

    def _add_variants(self, product: SeedProduct) -> None:
        rng, leaf = self.rng, product.leaf
        sizes: list[str | None] = [None]
        if leaf.sizes:
            n = rng.randint(min(3, len(leaf.sizes)), len(leaf.sizes))
            start = rng.randint(0, len(leaf.sizes) - n)
            sizes = list(leaf.sizes[start : start + n])
        colors: list[str | None] = [None]
        if leaf.colored:
            colors = list(rng.sample(COLORS, k=rng.choice((1, 2, 2, 3, 3, 4))))
        total = 0
        for size in sizes:
            for color in colors:
                stock = 0 if rng.random() < 0.12 else rng.randint(1, 40)
                total += stock
                vid = self.data.add(
                    "product_variants",
                    {"product_id": product.id, "sku": _variant_sku(product.row["sku"], size, color),
                     "size": size, "color": color, "stock": stock},
                )  # fmt: skip
                product.variant_ids.append(vid)
        product.row["stock"] = total
