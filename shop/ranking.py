"""How recommendations are ranked: pure functions over scores, counts and vectors, no DB, no index.

:mod:`shop.recommend` fetches candidates (SQL for stock and filters, the index for content
similarity) and hands them here; everything that decides the order lives in this module, so it
is tested with plain numbers (``tests/shop/test_ranking.py``).

- **Co-purchase** (:class:`CoPurchase`): the cosine of the order sets,
  ``c_ij / sqrt(n_i * n_j)`` over the baskets given (non-cancelled orders).
- **Hybrid blend** (:func:`hybrid_scores`): ``score = a * copurchase / max copurchase +
  (1 - a) * content + popularity`` with ``a = hybrid_weight * n / (n + shrinkage)``
  (:func:`hybrid_alpha`), ``n`` the anchors' weighted order count: the blend leans on
  co-purchase only as far as there is evidence, and a product nobody bought (``n = 0``) gets
  content similarity alone (cold start).
- **Popularity prior** (:func:`popularity_prior`): ``weight * log(1 + orders_j) /
  log(1 + max orders)``, in ``[0, weight]``; :func:`popular_ranking` orders by order count,
  rating as the tie-break, then id.
- **Diversity** (:func:`mmr`): maximal marginal relevance over the candidates' vectors, at most
  ``max_per_family`` per family (brand + category + name without colour words,
  :func:`family_key`) and ``max_per_shelf`` per brand and category: not five colours of the
  same shirt.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from shop.catalog_query import DEFAULT_COLORS

__all__ = [
    "CoPurchase",
    "Hits",
    "Ids",
    "Scored",
    "Weights",
    "blend_copurchase",
    "closest",
    "family_key",
    "hybrid_alpha",
    "hybrid_scores",
    "mmr",
    "popular_ranking",
    "popularity_prior",
    "profile_vector",
    "shelf_key",
]

#: ``(product id, score)``, best first where a list of them is returned.
Scored = tuple[int, float]
#: What a search returns: ``(product id, score)`` pairs, best first.
Hits = list[Scored]
#: Product ids a search is restricted to or excludes.
Ids = Collection[int]

#: Baskets larger than this are skipped when counting pairs (bulk orders say little).
MAX_BASKET = 50
#: Weight of content similarity kept on top of the blend, so equal blends prefer the closer one.
CONTENT_TIE_BREAK = 1e-3


@dataclass(frozen=True)
class Weights:
    """The ranking's knobs; the defaults are the ones ``benchmarks/bench_recommend.py`` chose.

    On held-out purchases of the demo history they lift recall@10 above the most-popular
    baseline while covering ~25x more of the catalog.
    """

    #: Maximum share of co-purchase in the hybrid blend (reached with plenty of evidence).
    hybrid_weight: float = 0.8
    #: Orders at which co-purchase gets half of ``hybrid_weight``.
    shrinkage: float = 3.0
    #: MMR trade-off: 1 is relevance only, 0 is diversity only.
    mmr_lambda: float = 0.75
    max_per_family: int = 1
    #: At most this many picks of one brand in one category.
    max_per_shelf: int = 2
    #: Weight of the popularity prior added to hybrid scores.
    popularity_weight: float = 0.6


class CoPurchase:
    """Item-to-item co-purchase counts from baskets (sets of product ids)."""

    def __init__(self, baskets: Iterable[Iterable[int]]) -> None:
        self.orders_with: Counter[int] = Counter()
        self.pairs: dict[int, Counter[int]] = defaultdict(Counter)
        for basket in baskets:
            items = sorted(set(basket))
            self.orders_with.update(items)
            if len(items) > MAX_BASKET:
                continue
            for i, a in enumerate(items):
                for b in items[i + 1 :]:
                    self.pairs[a][b] += 1
                    self.pairs[b][a] += 1

    def neighbours(self, product_id: int) -> dict[int, float]:
        """Cosine co-purchase similarity to every product bought with ``product_id``."""
        n_i = self.orders_with.get(product_id, 0)
        if not n_i:
            return {}
        return {
            j: c / math.sqrt(n_i * self.orders_with[j])
            for j, c in self.pairs.get(product_id, Counter()).items()
        }

    def popular(self) -> list[int]:
        """Every bought product, most orders first (ties by id), for the popularity candidates."""
        return [pid for pid, _ in sorted(self.orders_with.items(), key=lambda x: (-x[1], x[0]))]

    def evidence(self, anchors: Mapping[int, float]) -> float:
        """The anchors' order counts, weighted mean: how much co-purchase there is to trust."""
        total = sum(anchors.values()) or 1.0
        return sum(w * self.orders_with.get(p, 0) for p, w in anchors.items()) / total


_COLOR_WORDS = set(DEFAULT_COLORS)


def family_key(brand: str, category: str, name: str, colors: Collection[str] = ()) -> str:
    """Products that differ only by colour share a family ("Basic Tee Red" ~ "Basic Tee Blue")."""
    skip = _COLOR_WORDS | {c.lower() for c in colors}
    words = [w for w in re.findall(r"[a-z0-9]+", name.lower()) if w not in skip]
    return f"{brand.lower()}|{category.lower()}|{' '.join(words)}"


def shelf_key(brand: str, category: str) -> str:
    """One brand in one category: the unit :func:`mmr` caps at ``max_per_shelf`` picks."""
    return f"{brand.lower()}|{category.lower()}"


def hybrid_alpha(evidence: float, weights: Weights = Weights()) -> float:
    """Share of co-purchase in the blend: 0 without evidence, approaching ``hybrid_weight``."""
    if evidence <= 0:
        return 0.0
    return weights.hybrid_weight * evidence / (evidence + weights.shrinkage)


def popularity_prior(orders: int, max_orders: int, weight: float) -> float:
    """``weight * log(1 + orders) / log(1 + max_orders)``: 0 for never bought, ``weight`` for the top."""
    norm = math.log1p(max(max_orders, 0)) or 1.0
    return weight * math.log1p(max(orders, 0)) / norm


def profile_vector(anchors: Mapping[int, float], vectors: Mapping[int, np.ndarray]) -> np.ndarray | None:
    """Unit vector of the anchors' vectors, weighted; None when no anchor has a vector."""
    known = [(anchors[p], v) for p, v in vectors.items() if p in anchors]
    if not known:
        return None
    acc = np.zeros_like(known[0][1])
    for w, v in known:
        acc += w * v
    return acc / (float(np.linalg.norm(acc)) or 1.0)


def blend_copurchase(
    anchors: Mapping[int, float], co: CoPurchase, allowed: Collection[int]
) -> tuple[dict[int, float], dict[int, int]]:
    """Co-purchase score of each allowed product for weighted anchors, and its strongest anchor.

    The score is the anchors' neighbour similarities, weighted and divided by the total weight;
    the anchor is the one whose ``weight * similarity`` is highest (for "often bought with X").
    """
    total = sum(anchors.values()) or 1.0
    scores: dict[int, float] = defaultdict(float)
    best: dict[int, tuple[float, int]] = {}
    for p, w in anchors.items():
        for j, sim in co.neighbours(p).items():
            if j in allowed:
                scores[j] += w * sim / total
                if sim * w > best.get(j, (0.0, 0))[0]:
                    best[j] = (sim * w, p)
    return dict(scores), {j: p for j, (_, p) in best.items()}


def hybrid_scores(
    candidates: Iterable[int],
    content: Mapping[int, float],
    copurchase: Mapping[int, float],
    alpha: float,
    orders: Mapping[int, int],
    popularity_weight: float,
) -> list[Scored]:
    """Blend each candidate's content and co-purchase scores, add the popularity prior; best first.

    Co-purchase is scaled so the strongest candidate has 1; negative content similarity counts
    as 0; a candidate missing from ``content`` has content 0. Ties go to the smaller id.
    """
    top_co = max(copurchase.values(), default=0.0) or 1.0
    max_orders = max(orders.values(), default=0)
    scored: list[Scored] = []
    for j in set(candidates):
        c = max(content.get(j, 0.0), 0.0)
        pop = popularity_prior(orders.get(j, 0), max_orders, popularity_weight)
        blend = alpha * copurchase.get(j, 0.0) / top_co + (1 - alpha) * c
        scored.append((j, blend + pop + CONTENT_TIE_BREAK * c))
    scored.sort(key=lambda x: (-x[1], x[0]))
    return scored


def popular_ranking(
    allowed: Iterable[int], orders: Mapping[int, int], ratings: Mapping[int, Decimal | None]
) -> list[Scored]:
    """Most-ordered first, rating as the tie-break (never-ordered products too), then id.

    The score is the order count relative to the first product's (0 when nobody ordered any).
    """
    ranked = sorted(set(allowed), key=lambda p: (-orders.get(p, 0), -(ratings.get(p) or 0), p))
    top = orders.get(ranked[0], 0) if ranked else 0
    return [(p, orders.get(p, 0) / (top or 1)) for p in ranked]


def closest(vector: np.ndarray | None, vectors: Mapping[int, np.ndarray], default: int) -> int:
    """The id whose vector is most similar to ``vector``; ``default`` when either is missing."""
    if vector is None or not vectors:
        return default
    return max(vectors, key=lambda p: float(vectors[p] @ vector))


def mmr(
    scored: Sequence[Scored],
    k: int,
    vectors: Mapping[int, np.ndarray | None],
    families: Mapping[int, str],
    shelves: Mapping[int, str],
    weights: Weights = Weights(),
    blocked_families: Collection[str] = (),
) -> list[Scored]:
    """Pick up to ``k`` by maximal marginal relevance, with per-family and per-shelf caps.

    Each step takes the candidate with the highest ``lambda * score - (1 - lambda) *
    redundancy``, redundancy being its highest cosine to a product already picked (0 without a
    vector, or before any picked product has one). Candidates missing from ``families``
    (unknown products) are never picked, nor those of a blocked family (the anchor's own).
    Earlier candidates win ties.

    Each candidate's redundancy is kept as a running maximum, updated with one matrix-vector
    product per pick, instead of recomputing every pair at every step (issue 13: the pure
    Python version was ~8 ms of a search).
    """
    lam = weights.mmr_lambda
    remaining = [(pid, s) for pid, s in scored if pid in families]
    if not remaining or k <= 0:
        return []
    n = len(remaining)
    relevance = lam * np.array([s for _, s in remaining], dtype=np.float64)
    with_vec = [i for i, (pid, _) in enumerate(remaining) if vectors.get(pid) is not None]
    matrix = np.stack([np.asarray(vectors[remaining[i][0]]) for i in with_vec]) if with_vec else None
    # Highest cosine to a picked vector so far, per candidate; 0 until one is picked.
    redundancy = np.zeros(n, dtype=np.float64)
    running = np.full(len(with_vec), -np.inf, dtype=np.float64)
    open_ = np.ones(n, dtype=bool)
    fam_count: Counter[str] = Counter()
    shelf_count: Counter[str] = Counter()
    blocked = set(blocked_families)
    fams = [families[pid] for pid, _ in remaining]
    shelf_of = [shelves.get(pid, "") for pid, _ in remaining]
    for i, fam in enumerate(fams):
        if fam in blocked or weights.max_per_family <= 0 or weights.max_per_shelf <= 0:
            open_[i] = False
    chosen: list[Scored] = []
    while len(chosen) < k and open_.any():
        vals = np.where(open_, relevance - (1 - lam) * redundancy, -np.inf)
        best = int(np.argmax(vals))
        pid, s = remaining[best]
        chosen.append((pid, s))
        open_[best] = False
        fam, shelf = fams[best], shelf_of[best]
        fam_count[fam] += 1
        shelf_count[shelf] += 1
        if fam_count[fam] >= weights.max_per_family or shelf_count[shelf] >= weights.max_per_shelf:
            for i in np.flatnonzero(open_):
                if fam_count[fams[i]] >= weights.max_per_family:
                    open_[i] = False
                elif shelf_count[shelf_of[i]] >= weights.max_per_shelf:
                    open_[i] = False
        picked_vec = vectors.get(pid)
        if picked_vec is not None and matrix is not None:
            sims = (matrix @ np.asarray(picked_vec)).astype(np.float64)
            np.maximum(running, sims, out=running)
            redundancy[with_vec] = running
    return chosen
