"""Product recommendations: similar items, free-text search, "also bought", personal picks.

The orchestration: candidates come from SQL (:mod:`shop.eligibility`: in stock, within the
filters) and from an index-like object (``catalog_index.CatalogIndex`` or any object with
``vector``/``encode``/``search``), order histories from the order DB; the ranking itself
(co-purchase, hybrid blend, popularity prior, MMR diversity) is :mod:`shop.ranking`, pure
functions tested without a database. Tests build small catalogs, and the actions, console and
CLI share one implementation.

Unknown products give ``None``; an empty catalog or no match gives ``[]``.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Protocol

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from shop import eligibility, ranking
from shop.catalog_query import Filters, ParsedQuery, parse_query
from shop.catalog_rows import ProductSummary, read_catalog, read_chinese_names, read_summaries
from shop.catalog_zh import has_han, name_aliases
from shop.db.models import Order, OrderItem, Product
from shop.ranking import CoPurchase, Hits, Ids, Scored, Weights
from shop.recommender_errors import RecommenderUnavailable

__all__ = ["IndexLike", "Recommendation", "Recommender", "RecommenderUnavailable", "read_baskets"]

#: Candidates fetched beyond ``k`` for diversification to choose from.
CANDIDATE_POOL = 60
MAX_K = 50
COPURCHASE_TTL_SECONDS = 300.0
#: How many of a customer's most recent products make their profile.
HISTORY_ITEMS = 20


class IndexLike(Protocol):
    """What the recommender needs from an index: stored vectors, a query encoder, k-NN search."""

    def __len__(self) -> int: ...

    def vector(self, product_id: int) -> np.ndarray | None:
        """The product's stored unit vector, None if it is not indexed."""

    def encode(self, text: str) -> np.ndarray:
        """A unit query vector for ``text``."""

    def search(self, vector: np.ndarray, k: int, allowed: Ids | None = None, exclude: Ids = ()) -> Hits:
        """Top ``k`` ``(product id, cosine)`` among ``allowed``, without ``exclude``."""


@dataclass(frozen=True)
class Recommendation(ProductSummary):
    """A recommended product: its summary, the ranking score and why it was picked."""

    score: float
    reason: str

    @classmethod
    def of(cls, product: ProductSummary, score: float, reason: str) -> Recommendation:
        """``product`` with a score (rounded to 4 places) and a reason a shopper reads."""
        # Field by field, not dataclasses.asdict: its deep copy was ~1 ms of a search.
        fields_ = {f: getattr(product, f) for f in _SUMMARY_FIELDS}
        return cls(**fields_, score=round(float(score), 4), reason=reason)


_SUMMARY_FIELDS = tuple(f.name for f in fields(ProductSummary))

#: Recommendations, best first.
Recs = list[Recommendation]


def read_baskets(session_factory: sessionmaker) -> list[set[int]]:
    """The product ids of every non-cancelled order, one set per order."""
    baskets: dict[int, set[int]] = defaultdict(set)
    with session_factory() as s:
        rows = s.execute(
            select(OrderItem.order_id, OrderItem.product_id)
            .join(Order, Order.id == OrderItem.order_id)
            .where(Order.status != "cancelled")
        )
        for order_id, product_id in rows:
            baskets[order_id].add(product_id)
    return list(baskets.values())


def _clamp_k(k: int) -> int:
    return max(0, min(int(k), MAX_K))


def _family(p: ProductSummary) -> str:
    return ranking.family_key(p.brand, p.category, p.name)


class Recommender:
    """Recommendation service over one index and one database."""

    def __init__(
        self,
        index: IndexLike,
        session_factory: sessionmaker,
        *,
        hybrid_weight: float = Weights.hybrid_weight,
        shrinkage: float = Weights.shrinkage,
        mmr_lambda: float = Weights.mmr_lambda,
        max_per_family: int = Weights.max_per_family,
        max_per_brand_category: int = Weights.max_per_shelf,
        copurchase: CoPurchase | None = None,
        copurchase_ttl: float = COPURCHASE_TTL_SECONDS,
        popularity_weight: float = Weights.popularity_weight,
    ) -> None:
        self.index = index
        self.session_factory = session_factory
        self.weights = Weights(
            hybrid_weight=hybrid_weight,
            shrinkage=shrinkage,
            mmr_lambda=mmr_lambda,
            max_per_family=max_per_family,
            max_per_shelf=max_per_brand_category,
            popularity_weight=popularity_weight,
        )
        self._copurchase = copurchase
        self._copurchase_fixed = copurchase is not None
        self._copurchase_at = time.monotonic()
        self._copurchase_ttl = copurchase_ttl
        self._lock = threading.Lock()
        self._vocab: tuple[list[str], list[str]] | None = None
        self._aliases: tuple[tuple[str, str], ...] | None = None

    # -- data access -------------------------------------------------------------------

    @property
    def copurchase(self) -> CoPurchase:
        """Co-purchase stats from the DB, refreshed every ``copurchase_ttl`` seconds."""
        with self._lock:
            stale = time.monotonic() - self._copurchase_at > self._copurchase_ttl
            if self._copurchase is None or (stale and not self._copurchase_fixed):
                self._copurchase = CoPurchase(read_baskets(self.session_factory))
                self._copurchase_at = time.monotonic()
            return self._copurchase

    def eligible_ids(self, filters: Filters | None = None) -> set[int]:
        """Products that may be recommended under ``filters`` (always in stock)."""
        return eligibility.eligible_ids(self.session_factory, filters)

    def vocabulary(self) -> tuple[list[str], list[str]]:
        """Colours and categories of the catalog, for :func:`parse_query` (read once)."""
        if self._vocab is None:
            self._vocab = eligibility.vocabulary(self.session_factory)
        return self._vocab

    def chinese_aliases(self) -> tuple[tuple[str, str], ...]:
        """The catalog's Chinese names as query words (:func:`shop.catalog_zh.name_aliases`), read once."""
        if self._aliases is None:
            self._aliases = name_aliases(read_chinese_names(self.session_factory))
        return self._aliases

    def _products(self, ids: Iterable[int]) -> dict[int, ProductSummary]:
        return read_summaries(self.session_factory, ids)

    def _anchor(self, product_id: int, k: int) -> tuple[ProductSummary | None, int]:
        """The anchor product (None if unknown) and ``k`` clamped to ``[0, MAX_K]``."""
        return self._products([product_id]).get(product_id), _clamp_k(k)

    def _anchor_vector(self, product_id: int) -> np.ndarray | None:
        vec = self.index.vector(product_id)
        if vec is not None:
            return vec
        # In the DB but added after the index was built: encode it now.
        with self.session_factory() as s:
            if s.get(Product, product_id) is None:
                return None
        rows = [r for r in read_catalog(self.session_factory) if r.id == product_id]
        return self.index.encode(rows[0].text()) if rows else None

    # -- ranking -----------------------------------------------------------------------

    def _diversify(
        self,
        scored: Sequence[Scored],
        k: int,
        products: Mapping[int, ProductSummary],
        reasons: Mapping[int, str],
        blocked_families: Collection[str] = (),
    ) -> list[Recommendation]:
        """MMR (:func:`shop.ranking.mmr`) over the candidates' stored vectors."""
        known = [pid for pid, _ in scored if pid in products]
        picked = ranking.mmr(
            scored,
            k,
            vectors={pid: self.index.vector(pid) for pid in known},
            families={pid: _family(products[pid]) for pid in known},
            shelves={pid: ranking.shelf_key(products[pid].brand, products[pid].category) for pid in known},
            weights=self.weights,
            blocked_families=blocked_families,
        )
        return [Recommendation.of(products[pid], s, reasons.get(pid, "")) for pid, s in picked]

    def _ranked(
        self, hits: Sequence[Scored], k: int, reason: str, blocked: Collection[str] = ()
    ) -> list[Recommendation]:
        """Index hits diversified into at most ``k`` recommendations, all with one reason."""
        products = self._products(pid for pid, _ in hits)
        return self._diversify(hits, k, products, {pid: reason for pid, _ in hits}, blocked)

    # -- public API ----------------------------------------------------------------------

    def similar_to(self, product_id: int, k: int = 5, filters: Filters | None = None) -> Recs | None:
        """Products like ``product_id`` by its stored vector; None if the product is unknown."""
        anchor, k = self._anchor(product_id, k)
        if anchor is None:
            return None
        vec = self._anchor_vector(product_id)
        if vec is None or k == 0:
            return []
        allowed = self.eligible_ids(filters)
        hits = self.index.search(vec, CANDIDATE_POOL + k, allowed=allowed, exclude={product_id})
        return self._ranked(hits, k, f"similar to {anchor.name}", {_family(anchor)})

    def search(self, text: str, k: int = 5, filters: Filters | None = None) -> list[Recommendation]:
        """Semantic search for ``text`` among eligible products; popular ones if no text."""
        k = _clamp_k(k)
        if k == 0 or len(self.index) == 0:
            return []
        allowed = self.eligible_ids(filters)
        if not allowed:
            return []
        text = (text or "").strip()[:500]
        if not text:
            return self.popular(k, filters)
        hits = self.index.search(self.index.encode(text), CANDIDATE_POOL + k, allowed=allowed)
        return self._ranked(hits, k, f"matches \u201c{text}\u201d")

    def search_message(
        self, message: str, k: int = 5, extra: Filters | None = None
    ) -> tuple[ParsedQuery, list[Recommendation]]:
        """Parse a shopper's message into text + filters, then :meth:`search`.

        ``extra`` fields (e.g. from slots) override what was parsed when set. A Chinese
        message is read in the catalog's English words first (:mod:`shop.catalog_zh`, with
        the catalog's own Chinese names), so it finds what its English twin finds; its
        ``parsed.text`` is those English words.
        """
        colors, cats = self.vocabulary()
        aliases = self.chinese_aliases() if has_han(message) else ()
        parsed = parse_query(message, colors=colors, categories=cats, aliases=aliases)
        filters = parsed.filters
        if extra is not None:
            merged = {
                name: getattr(extra, name)
                for name in extra.__dataclass_fields__
                if getattr(extra, name) not in (None, ())
            }
            filters = Filters(**{**filters.__dict__, **merged})
            parsed = ParsedQuery(parsed.text, filters, parsed.notes, parsed.cheaper)
        return parsed, self.search(parsed.text, k, filters)

    def also_bought(self, product_id: int, k: int = 5, filters: Filters | None = None) -> Recs | None:
        """Hybrid co-purchase + content neighbours; content only for a product nobody bought."""
        anchor, k = self._anchor(product_id, k)
        if anchor is None:
            return None
        if k == 0:
            return []
        return self._hybrid({product_id: 1.0}, k, filters, {product_id: anchor})

    def recommend_for_items(
        self, weighted_items: Mapping[int, float], k: int = 5, filters: Filters | None = None
    ) -> list[Recommendation]:
        """Hybrid picks for a set of products with weights (a basket or a history)."""
        k = _clamp_k(k)
        if not weighted_items or k == 0:
            return self.popular(k, filters)
        return self._hybrid(dict(weighted_items), k, filters, self._products(weighted_items))

    def personal_picks(
        self, customer_id: int, k: int = 5, filters: Filters | None = None
    ) -> list[Recommendation]:
        """Picks from the customer's order history; popular products for a new customer."""
        with self.session_factory() as s:
            rows = s.execute(
                select(OrderItem.product_id, func.max(Order.created_at))
                .join(Order, Order.id == OrderItem.order_id)
                .where(Order.customer_id == customer_id, Order.status != "cancelled")
                .group_by(OrderItem.product_id)
                .order_by(func.max(Order.created_at).desc(), OrderItem.product_id)
            ).all()
        # The most recent purchase weighs 1, older ones decay: 1, 1/2, 1/3, ...
        weights = {pid: 1.0 / (rank + 1) for rank, (pid, _at) in enumerate(rows[:HISTORY_ITEMS])}
        if not weights:
            return self.popular(k, filters)
        return self.recommend_for_items(weights, k, filters)

    def popular(
        self, k: int = 5, filters: Filters | None = None, exclude: Collection[int] = ()
    ) -> list[Recommendation]:
        """Most-ordered eligible products (rating as tie-break for never-ordered ones)."""
        k = _clamp_k(k)
        allowed = self.eligible_ids(filters) - set(exclude)
        if not allowed or k == 0:
            return []
        products = self._products(allowed)
        ratings = {p: products[p].rating for p in products}
        scored = ranking.popular_ranking(allowed, self.copurchase.orders_with, ratings)[: CANDIDATE_POOL + k]
        return self._diversify(scored, k, products, {p: "popular with shoppers" for p, _ in scored})

    def _hybrid(
        self,
        anchors: dict[int, float],
        k: int,
        filters: Filters | None,
        anchor_products: Mapping[int, ProductSummary],
    ) -> list[Recommendation]:
        """Co-purchase blended with content similarity to the anchors' profile, then MMR."""
        allowed = self.eligible_ids(filters) - set(anchors)
        if not allowed:
            return []
        co = self.copurchase
        anchor_vecs = {p: v for p in anchors if (v := self._anchor_vector(p)) is not None}
        profile = ranking.profile_vector(anchors, anchor_vecs)
        content: dict[int, float] = {}
        if profile is not None:
            content = dict(self.index.search(profile, CANDIDATE_POOL + k, allowed=allowed))
        co_score, co_source = ranking.blend_copurchase(anchors, co, allowed)
        alpha = ranking.hybrid_alpha(co.evidence(anchors), self.weights) if co_score else 0.0
        cands = set(content) | set(co_score)
        if self.weights.popularity_weight:
            cands |= {p for p in co.popular()[:CANDIDATE_POOL] if p in allowed}
        for j in cands - set(content):
            v = self.index.vector(j) if profile is not None else None
            content[j] = float(v @ profile) if v is not None and profile is not None else 0.0
        scored = ranking.hybrid_scores(
            cands, content, co_score, alpha, co.orders_with, self.weights.popularity_weight
        )[: CANDIDATE_POOL + k]
        products = self._products(j for j, _ in scored)
        names = {p: a.name for p, a in anchor_products.items()}
        reasons: dict[int, str] = {}
        for j, _ in scored:
            if j in co_source:
                reasons[j] = f"often bought with {names.get(co_source[j], 'your items')}"
            else:
                best = ranking.closest(self.index.vector(j), anchor_vecs, default=next(iter(anchors)))
                reasons[j] = f"similar to {names.get(best, 'your items')}"
        blocked = {_family(a) for a in anchor_products.values()}
        return self._diversify(scored, k, products, reasons, blocked)
