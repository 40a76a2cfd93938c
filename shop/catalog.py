"""Product lookup and product questions: find by name (typo-tolerant), price, stock by size and
colour, sizes and colours available, specs, and comparison of two products.

Fuzzy matching uses only the standard library: each query word is compared (difflib ratio)
with the catalog's distinct name/brand words once, then products are scored from those
word similarities, so a lookup over 2,000 products stays in the low milliseconds. A name
that fits several products about equally well ("nimbus") comes back as ambiguous with the
candidates, for a "which one?" with buttons.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from difflib import SequenceMatcher
from typing import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from shop.catalog_rows import ProductSummary, summarize
from shop.db.models import Product
from shop.money import format_money, quantize

#: Below this score a product is not a match at all.
MATCH_THRESHOLD = 0.55
#: Candidates within this distance of the best one make the name ambiguous.
AMBIGUITY_MARGIN = 0.08
#: Word pairs less similar than this count as unrelated.
WORD_MIN_RATIO = 0.72
NAMES_TTL_SECONDS = 300.0
MAX_QUERY_CHARS = 200
STOPWORDS = frozenset(
    "the a an is are do does you have has of for in on with and or my me i it this that "
    "any your please how much what which price stock".split()
)


#: A product as name lookup sees it: id, sku, name, brand, name words, Chinese name.
_Name = tuple[int, str, str, str, tuple[str, ...], str]


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


@dataclass(frozen=True)
class Match:
    """A product a name may mean, with how well it fits (0-1)."""

    product_id: int
    sku: str
    name: str
    brand: str
    score: float
    #: The Chinese name, "" when the product has none (:func:`shop.catalog_rows.display_name`).
    name_zh: str = ""


@dataclass(frozen=True)
class Resolution:
    """``found``: one product; ``ambiguous``: ask which of ``candidates``; ``not_found``."""

    product: Match | None
    candidates: tuple[Match, ...] = ()

    @property
    def status(self) -> str:
        """``found``, ``ambiguous`` or ``not_found``: what the action does next."""
        if self.product is not None:
            return "found"
        return "ambiguous" if self.candidates else "not_found"

    def written_in(self, text: str) -> Resolution:
        """The candidate whose whole name (or Chinese name) ``text`` spells out, if any.

        The NLU may catch only part of a long name (``Summit 羽绒`` of a Chinese name): the
        shopper still wrote the whole of the one they mean. The longest such name wins
        (``Trail Pack 30`` over ``Trail Pack``); otherwise the resolution stays as it was.
        """
        if self.product is not None or not text:
            return self
        head = text[:500]
        lowered = head.lower()
        written = [
            c for c in self.candidates if c.name.lower() in lowered or (c.name_zh and c.name_zh in head)
        ]
        return Resolution(max(written, key=lambda c: len(c.name)), self.candidates) if written else self


@dataclass(frozen=True)
class VariantStock:
    """One size/colour of a product and how many are in stock."""

    sku: str
    size: str | None
    color: str | None
    stock: int
    #: ``product_variants.id`` (None for a product without variants): what a cart line names.
    id: int | None = None


@dataclass(frozen=True)
class ProductFacts(ProductSummary):
    """A product with everything a question about it needs: its summary plus text and variants."""

    description: str
    materials: str
    variants: tuple[VariantStock, ...]
    #: Price after an active promotion, and its label, when a pricing hook is configured.
    sale_price: Decimal | None = None
    promotion: str | None = None

    @property
    def total_stock(self) -> int:
        """Units in stock over all variants."""
        return sum(v.stock for v in self.variants)

    @property
    def in_stock(self) -> bool:
        """Whether any variant is in stock."""
        return self.total_stock > 0

    @property
    def sizes(self) -> tuple[str, ...]:
        """Every size made, in catalog order."""
        return tuple(dict.fromkeys(v.size for v in self.variants if v.size))

    @property
    def colors(self) -> tuple[str, ...]:
        """Every colour made, in catalog order."""
        return tuple(dict.fromkeys(v.color for v in self.variants if v.color))

    @property
    def sizes_in_stock(self) -> tuple[str, ...]:
        """Sizes with stock now."""
        return tuple(dict.fromkeys(v.size for v in self.variants if v.size and v.stock > 0))

    @property
    def colors_in_stock(self) -> tuple[str, ...]:
        """Colours with stock now."""
        return tuple(dict.fromkeys(v.color for v in self.variants if v.color and v.stock > 0))


@dataclass(frozen=True)
class StockAnswer:
    """The answer to "is it in stock (in this size/colour)?", with alternatives when not."""

    product: ProductFacts
    size: str | None
    color: str | None
    #: False when the product is not made in that size/colour at all.
    offered: bool
    quantity: int
    matching: tuple[VariantStock, ...]
    #: In-stock variants close to the request (same colour other size, or same size other colour).
    alternatives: tuple[VariantStock, ...] = ()

    @property
    def in_stock(self) -> bool:
        """Whether the asked size/colour has stock."""
        return self.quantity > 0


@dataclass(frozen=True)
class Comparison:
    """Two products side by side, for "compare A and B"."""

    a: ProductFacts
    b: ProductFacts
    #: (label, value for a, value for b) in display order.
    rows: tuple[tuple[str, str, str], ...]
    cheaper_sku: str | None
    price_difference: Decimal
    better_rated_sku: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


PromotionHook = Callable[[ProductFacts], "tuple[Decimal, str] | None"]


def _eq(a: str | None, b: str | None) -> bool:
    return (a or "").strip().lower() == (b or "").strip().lower()


def _color_eq(variant_color: str | None, wanted: str) -> bool:
    v = (variant_color or "").lower()
    w = wanted.strip().lower().replace("gray", "grey")
    return v.replace("gray", "grey") == w or w in v.split()


class CatalogService:
    """Read-only questions about the catalog."""

    def __init__(
        self,
        session_factory: sessionmaker,
        promotion_price: PromotionHook | None = None,
        names_ttl: float = NAMES_TTL_SECONDS,
    ) -> None:
        self.session_factory = session_factory
        self.promotion_price = promotion_price
        self._names_ttl = names_ttl
        self._names: list[_Name] | None = None
        self._vocab: list[str] = []
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    # -- lookup ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Forget the cached product names (call after a catalog import)."""
        with self._lock:
            self._names = None

    def _table(self) -> tuple[list[_Name], list[str]]:
        with self._lock:
            if self._names is None or time.monotonic() - self._loaded_at > self._names_ttl:
                with self.session_factory() as s:
                    rows = s.execute(
                        select(
                            Product.id, Product.sku, Product.name, Product.brand, Product.name_zh
                        ).order_by(Product.id)
                    ).all()
                self._names = [
                    (r.id, r.sku, r.name, r.brand, tuple(_words(r.name)), r.name_zh or "") for r in rows
                ]
                vocab: set[str] = set()
                for r in rows:
                    vocab.update(_words(r.name))
                    vocab.update(_words(r.brand))
                self._vocab = sorted(vocab)
                self._loaded_at = time.monotonic()
            return self._names, self._vocab

    def find_products(self, query: str | None, limit: int = 5) -> list[Match]:
        """Products whose name (or sku) best fits ``query``, best first; typos tolerated."""
        query = (query or "").strip()[:MAX_QUERY_CHARS]
        if not query:
            return []
        names, vocab = self._table()
        q_lower = query.lower()
        exact = [m for m in names if q_lower in (m[1].lower(), m[2].lower(), m[5].lower())]
        if exact:
            return [Match(i, sku, name, brand, 1.0, zh) for i, sku, name, brand, _, zh in exact][:limit]
        q_words = [w for w in _words(query) if w not in STOPWORDS][:12]
        if not q_words:
            return []
        # Similarity of each query word to each catalog word, computed once per distinct word.
        sim: dict[str, dict[str, float]] = {}
        for qw in set(q_words):
            row: dict[str, float] = {}
            for w in vocab:
                if qw == w:
                    row[w] = 1.0
                    continue
                sm = SequenceMatcher(None, qw, w)
                if sm.real_quick_ratio() < WORD_MIN_RATIO or sm.quick_ratio() < WORD_MIN_RATIO:
                    continue
                r = sm.ratio()
                if r >= WORD_MIN_RATIO:
                    row[w] = r
            sim[qw] = row
        scored: list[Match] = []
        for pid, sku, name, brand, words, zh in names:
            brand_words = _words(brand)
            pool = set(words) | set(brand_words)
            if not any(sim[qw].keys() & pool for qw in q_words):
                continue
            name_cover = sum(max((sim[qw].get(w, 0.0) for qw in q_words), default=0.0) for w in words) / max(
                len(words), 1
            )
            query_cover = sum(max((sim[qw].get(w, 0.0) for w in pool), default=0.0) for qw in q_words) / len(
                q_words
            )
            full = SequenceMatcher(None, " ".join(q_words), " ".join(words)).ratio()
            score = 0.5 * name_cover + 0.3 * query_cover + 0.2 * full
            if score >= MATCH_THRESHOLD * 0.8:
                scored.append(Match(pid, sku, name, brand, round(score, 4), zh))
        scored.sort(key=lambda m: (-m.score, m.name))
        return scored[:limit]

    def resolve_in(self, ref: str | None, text: str) -> Resolution:
        """:meth:`resolve` ``ref`` (what the NLU took for the name) as the whole message ``text`` reads.

        A candidate the message spells out in full wins (:meth:`Resolution.written_in`); failing
        that, a product whose whole Chinese name the message contains (the NLU may have cut
        ``Summit 羽绒夹克`` to ``Summit 羽绒``, which fits many Summit products).
        """
        res = self.resolve(ref).written_in(text)
        if res.product is not None or not text:
            return res
        head = text[:MAX_QUERY_CHARS]
        names, _ = self._table()
        inside = [n for n in names if len(n[5]) >= 2 and n[5] in head]
        if not inside:
            return res
        pid, sku, name, brand, _, zh = max(inside, key=lambda n: len(n[5]))
        return Resolution(Match(pid, sku, name, brand, 1.0, zh), res.candidates)

    def resolve(self, query: str | None, limit: int = 5) -> Resolution:
        """One product, an ambiguous shortlist, or nothing."""
        matches = self.find_products(query, limit=max(limit, 2))
        good = [m for m in matches if m.score >= MATCH_THRESHOLD]
        if not good:
            return Resolution(None, ())
        best = good[0]
        close = [m for m in good if best.score - m.score <= AMBIGUITY_MARGIN]
        if best.score >= 1.0 or len(close) == 1:
            return Resolution(best, tuple(good[:limit]))
        return Resolution(None, tuple(close[:limit]))

    def get(self, product: int | str) -> ProductFacts | None:
        """Facts about a product by id or sku (None if unknown)."""
        with self.session_factory() as s:
            if isinstance(product, int):
                p = s.get(Product, product)
            else:
                p = s.execute(
                    select(Product).where(func.lower(Product.sku) == str(product).lower())
                ).scalar_one_or_none()
            if p is None:
                return None
            variants = tuple(
                VariantStock(v.sku, v.size, v.color, int(v.stock or 0), v.id) for v in p.variants
            )
            if not variants:
                variants = (VariantStock(p.sku, None, None, int(p.stock or 0)),)
            facts = ProductFacts(
                **asdict(summarize(p)),
                description=p.description or "",
                materials=p.materials or "",
                variants=variants,
            )
        if self.promotion_price is not None:
            promo = self.promotion_price(facts)
            if promo is not None and promo[0] < facts.price:
                facts = replace(facts, sale_price=quantize(promo[0]), promotion=promo[1])
        return facts

    def lookup(self, name_or_sku: str | None) -> ProductFacts | None:
        """Facts for a name when it resolves to exactly one product."""
        res = self.resolve(name_or_sku)
        return self.get(res.product.product_id) if res.product else None

    # -- questions ------------------------------------------------------------------------

    def stock(
        self, product: int | str, size: str | None = None, color: str | None = None
    ) -> StockAnswer | None:
        """Is it in stock (in this size and/or colour)? None for an unknown product."""
        facts = self.get(product)
        if facts is None:
            return None
        size = size.strip() if size and size.strip() else None
        color = color.strip() if color and color.strip() else None
        matching = tuple(
            v
            for v in facts.variants
            if (size is None or _eq(v.size, size)) and (color is None or _color_eq(v.color, color))
        )
        quantity = sum(v.stock for v in matching)
        alternatives: tuple[VariantStock, ...] = ()
        if quantity == 0 and (size or color):
            alternatives = tuple(
                v
                for v in facts.variants
                if v.stock > 0
                and (
                    (size is not None and _eq(v.size, size))
                    or (color is not None and _color_eq(v.color, color))
                )
            )
        return StockAnswer(
            facts,
            size,
            color,
            offered=bool(matching),
            quantity=quantity,
            matching=matching,
            alternatives=alternatives,
        )

    def compare(self, first: int | str, second: int | str) -> Comparison | None:
        """Side-by-side facts of two products; None if either is unknown."""
        a, b = self.get(first), self.get(second)
        if a is None or b is None:
            return None

        def price(p: ProductFacts) -> Decimal:
            return p.sale_price if p.sale_price is not None else p.price

        def fmt_price(p: ProductFacts) -> str:
            if p.sale_price is not None:
                return f"{format_money(p.sale_price)} (was {format_money(p.price)}, {p.promotion})"
            return format_money(p.price)

        rows = (
            ("Price", fmt_price(a), fmt_price(b)),
            ("Brand", a.brand, b.brand),
            ("Category", a.category, b.category),
            ("Materials", a.materials or "-", b.materials or "-"),
            ("Rating", str(a.rating or "-"), str(b.rating or "-")),
            ("Sizes in stock", ", ".join(a.sizes_in_stock) or "-", ", ".join(b.sizes_in_stock) or "-"),
            ("Colours in stock", ", ".join(a.colors_in_stock) or "-", ", ".join(b.colors_in_stock) or "-"),
        )
        pa, pb = price(a), price(b)
        cheaper = None if pa == pb else (a.sku if pa < pb else b.sku)
        better = None
        if a.rating is not None and b.rating is not None and a.rating != b.rating:
            better = a.sku if a.rating > b.rating else b.sku
        notes = ("same product",) if a.product_id == b.product_id else ()
        return Comparison(a, b, rows, cheaper, abs(pa - pb), better, notes)
