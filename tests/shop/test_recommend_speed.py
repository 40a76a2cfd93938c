"""The faster recommendation path (issue 13) answers exactly as the straightforward one did.

The reference below is the code before the change, kept here word for word: MMR recomputing
every pair in Python, summaries loaded as ``Product`` objects, recommendations copied with
``dataclasses.asdict``. On the demo catalog (2,000 products, the seed the crowd benchmark
uses) every public recommender call gives the same recommendations, field for field
(product, price, links, score, reason), and the MMR gives the same picks as the reference on
random candidates with ties, missing vectors and caps.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict
from decimal import Decimal

import numpy as np
import pytest
from sqlalchemy import select

from shop.catalog_query import Filters
from shop.catalog_rows import ProductSummary, summarize
from shop.db.models import Customer, Product
from shop.ranking import Scored, Weights, mmr
from shop.recommend import Recommendation, Recommender
from tests.conftest import FIXED_NOW
from tests.support.demo_catalog import demo_catalog

pytestmark = pytest.mark.xdist_group("recommend_speed_demo")

QUERIES = [
    "I'm looking for a waterproof jacket",
    "waterproof jacket under $150 in M, not black",
    "red running shoes under $120 in size 10",
    "down jacket",
    "2-person tent",
    "noise-cancelling headphones under $200",
    "hoodie between $40 and $80",
    "merino wool socks",
    "something for the kitchen",
    "gift ideas",
    "",
    "防水外套",
]


# -- the reference: the code before issue 13's round 3 ------------------------------------------


def _reference_redundancy(vector: np.ndarray | None, picked: Iterable[np.ndarray | None]) -> float:
    if vector is None:
        return 0.0
    return max((float(vector @ v) for v in picked if v is not None), default=0.0)


def reference_mmr(
    scored: Sequence[Scored],
    k: int,
    vectors: Mapping[int, np.ndarray | None],
    families: Mapping[int, str],
    shelves: Mapping[int, str],
    weights: Weights = Weights(),
    blocked_families: Collection[str] = (),
) -> list[Scored]:
    lam = weights.mmr_lambda
    remaining = [(pid, s) for pid, s in scored if pid in families]
    chosen: list[Scored] = []
    fam_count: Counter[str] = Counter()
    shelf_count: Counter[str] = Counter()
    blocked = set(blocked_families)
    while remaining and len(chosen) < k:
        best_i, best_val = -1, -math.inf
        for i, (pid, s) in enumerate(remaining):
            fam, shelf = families[pid], shelves.get(pid, "")
            if fam in blocked or fam_count[fam] >= weights.max_per_family:
                continue
            if shelf_count[shelf] >= weights.max_per_shelf:
                continue
            redundancy = _reference_redundancy(vectors.get(pid), [vectors.get(q) for q, _ in chosen])
            val = lam * s - (1 - lam) * redundancy
            if val > best_val:
                best_i, best_val = i, val
        if best_i < 0:
            break
        pid, s = remaining.pop(best_i)
        fam_count[families[pid]] += 1
        shelf_count[shelves.get(pid, "")] += 1
        chosen.append((pid, s))
    return chosen


class ReferenceRecommender(Recommender):
    """The recommender with the pre-change summaries, copies and MMR."""

    def _products(self, ids: Iterable[int]) -> dict[int, ProductSummary]:
        wanted = sorted(set(ids))
        out: dict[int, ProductSummary] = {}
        with self.session_factory() as s:
            for i in range(0, len(wanted), 500):
                for p in s.execute(select(Product).where(Product.id.in_(wanted[i : i + 500]))).scalars():
                    out[p.id] = summarize(p)
        return out

    def _diversify(self, scored, k, products, reasons, blocked_families=()):  # type: ignore[no-untyped-def]
        from shop import ranking

        known = [pid for pid, _ in scored if pid in products]
        picked = reference_mmr(
            scored,
            k,
            vectors={pid: self.index.vector(pid) for pid in known},
            families={
                pid: ranking.family_key(products[pid].brand, products[pid].category, products[pid].name)
                for pid in known
            },
            shelves={pid: ranking.shelf_key(products[pid].brand, products[pid].category) for pid in known},
            weights=self.weights,
            blocked_families=blocked_families,
        )
        return [
            Recommendation(**asdict(products[pid]), score=round(float(s), 4), reason=reasons.get(pid, ""))
            for pid, s in picked
        ]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Recommender, ReferenceRecommender]:
    sessions, index = demo_catalog(tmp_path_factory.mktemp("demo_speed"), FIXED_NOW)
    return Recommender(index, sessions), ReferenceRecommender(index, sessions)


def test_searches_match_the_reference_on_the_demo_catalog(demo) -> None:
    fast, ref = demo
    assert len(fast.index) == 2000
    for q in QUERIES:
        for k in (1, 5, 10):
            got, want = fast.search_message(q, k), ref.search_message(q, k)
            assert got == want, (q, k)
            assert got[1] or q == "gift ideas", q  # the comparison saw recommendations
    got = fast.search("jacket", 10, Filters(max_price=Decimal("90"), exclude_colors=("black",)))
    assert got == ref.search("jacket", 10, Filters(max_price=Decimal("90"), exclude_colors=("black",)))


def test_similar_goes_with_personal_and_popular_match_the_reference(demo) -> None:
    fast, ref = demo
    with fast.session_factory() as s:
        pids = list(s.scalars(select(Product.id).order_by(Product.id).limit(2000)))
        customers = list(s.scalars(select(Customer.id).order_by(Customer.id).limit(40)))
    rng = random.Random(13)
    for pid in rng.sample(pids, 25):
        assert fast.similar_to(pid, 5) == ref.similar_to(pid, 5), pid
        assert fast.also_bought(pid, 5) == ref.also_bought(pid, 5), pid
    compared = 0
    for cid in customers:
        got = fast.personal_picks(cid, 5)
        assert got == ref.personal_picks(cid, 5), cid
        compared += bool(got)
    assert compared >= 30
    assert fast.popular(10) == ref.popular(10)
    assert fast.popular(5, Filters(category="Jackets")) == ref.popular(5, Filters(category="Jackets"))


def test_mmr_picks_what_the_reference_picks_on_random_candidates() -> None:
    rng = np.random.default_rng(13)
    for case in range(400):
        n = int(rng.integers(0, 40))
        dim = int(rng.integers(2, 12))
        pids = [int(x) for x in rng.choice(1000, n, replace=False)]
        # Coarse scores make ties common; some vectors missing; few families and shelves.
        scores = [float(x) for x in np.round(rng.random(n), 1)]
        vecs = rng.normal(size=(n, dim)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        vectors = {p: (None if rng.random() < 0.15 else vecs[i]) for i, p in enumerate(pids)}
        families = {p: f"f{rng.integers(0, 8)}" for p in pids if rng.random() < 0.95}
        shelves = {p: f"s{rng.integers(0, 4)}" for p in pids if rng.random() < 0.9}
        w = Weights(
            mmr_lambda=float(rng.choice([0.0, 0.5, 0.75, 1.0])),
            max_per_family=int(rng.integers(0, 3)),
            max_per_shelf=int(rng.integers(0, 4)),
        )
        blocked = {"f1"} if case % 3 == 0 else set()
        k = int(rng.integers(0, 12))
        scored = list(zip(pids, scores, strict=True))
        got = mmr(scored, k, vectors, families, shelves, w, blocked)
        assert got == reference_mmr(scored, k, vectors, families, shelves, w, blocked), case


def test_one_blas_thread_gives_the_same_recommendations(demo) -> None:
    # The action server runs BLAS on RASA_TF_THREADS threads, 1 by default
    # (text_encoder.limit_numeric_threads, called by actions.catalog).
    from threadpoolctl import threadpool_limits

    fast, _ = demo
    with threadpool_limits(limits=2, user_api="blas"):
        two = [fast.search_message(q, 10) for q in QUERIES]
    with threadpool_limits(limits=1, user_api="blas"):
        one = [fast.search_message(q, 10) for q in QUERIES]
    assert one == two
