"""shop.ranking on plain numbers: co-purchase, hybrid weights, popularity ties, MMR diversity."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest

from shop.ranking import (
    MAX_BASKET,
    CoPurchase,
    Weights,
    blend_copurchase,
    closest,
    family_key,
    hybrid_alpha,
    hybrid_scores,
    mmr,
    popular_ranking,
    popularity_prior,
    profile_vector,
)


def unit(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


# -- co-purchase -------------------------------------------------------------------------------


def test_copurchase_similarity_is_cosine_normalised() -> None:
    co = CoPurchase([{1, 2}, {1, 2}, {1, 3}, {3}, {3}, {3}])
    n = co.neighbours(1)
    assert n[2] == pytest.approx(2 / (3 * 2) ** 0.5)
    assert n[3] == pytest.approx(1 / (3 * 4) ** 0.5)
    assert co.neighbours(99) == {}
    assert co.popular() == [3, 1, 2]


def test_bulk_baskets_count_as_orders_but_make_no_pairs() -> None:
    bulk = set(range(1, MAX_BASKET + 2))
    co = CoPurchase([bulk, {1, 2}])
    assert co.orders_with[1] == 2 and co.orders_with[MAX_BASKET + 1] == 1
    assert co.neighbours(1) == {2: pytest.approx(1 / math.sqrt(2 * 2))}


def test_evidence_is_the_weighted_mean_of_the_anchors_order_counts() -> None:
    co = CoPurchase([{1}, {1}, {1}, {2}])
    assert co.evidence({1: 1.0}) == 3.0
    assert co.evidence({1: 1.0, 2: 1.0}) == 2.0
    assert co.evidence({1: 3.0, 2: 1.0}) == pytest.approx((3 * 3 + 1) / 4)
    assert co.evidence({}) == 0.0


def test_blend_copurchase_weights_anchors_and_names_the_strongest_one() -> None:
    co = CoPurchase([{1, 10}, {2, 10}, {2, 10}, {2, 20}, {1, 30}])
    scores, source = blend_copurchase({1: 1.0, 2: 3.0}, co, allowed={10, 20})
    s1, s2 = co.neighbours(1), co.neighbours(2)
    assert scores[10] == pytest.approx((1.0 * s1[10] + 3.0 * s2[10]) / 4)
    assert scores[20] == pytest.approx(3.0 * s2[20] / 4)
    assert 30 not in scores  # not allowed (out of stock, filtered)
    assert source == {10: 2, 20: 2}
    assert blend_copurchase({99: 1.0}, co, {10}) == ({}, {})


# -- hybrid blend -----------------------------------------------------------------------------


def test_blend_weight_is_zero_without_evidence_and_grows_towards_the_cap() -> None:
    w = Weights(hybrid_weight=0.8, shrinkage=3.0)
    assert hybrid_alpha(0, w) == 0.0 and hybrid_alpha(-1, w) == 0.0
    assert hybrid_alpha(3, w) == pytest.approx(0.4)  # shrinkage orders give half the cap
    assert 0 < hybrid_alpha(1, w) < hybrid_alpha(10, w) < hybrid_alpha(1000, w) < 0.8
    assert hybrid_alpha(5, Weights(hybrid_weight=1.0, shrinkage=0.0)) == 1.0


def test_hybrid_scores_follow_alpha_between_content_and_copurchase() -> None:
    content = {1: 0.9, 2: 0.1}
    copurchase = {2: 1.0}
    content_only = hybrid_scores([1, 2], content, copurchase, 0.0, {}, 0.0)
    assert [p for p, _ in content_only] == [1, 2]
    assert content_only[0][1] == pytest.approx(0.9 * 1.001)
    leaning = hybrid_scores([1, 2], content, copurchase, 0.8, {}, 0.0)
    assert [p for p, _ in leaning] == [2, 1]
    assert dict(leaning)[2] == pytest.approx(0.8 * 1.0 + 0.2 * 0.1 + 0.001 * 0.1)
    assert dict(leaning)[1] == pytest.approx(0.2 * 0.9 + 0.001 * 0.9)


def test_copurchase_is_scaled_so_the_strongest_candidate_has_one() -> None:
    got = dict(hybrid_scores([1, 2, 3], {}, {1: 0.5, 2: 0.25}, 1.0, {}, 0.0))
    assert got == {1: pytest.approx(1.0), 2: pytest.approx(0.5), 3: 0.0}


def test_negative_or_missing_content_counts_as_zero() -> None:
    got = dict(hybrid_scores([1, 2], {1: -0.7}, {}, 0.0, {}, 0.0))
    assert got == {1: 0.0, 2: 0.0}


def test_popularity_prior_is_log_scaled_to_the_weight() -> None:
    assert popularity_prior(0, 3, 0.6) == 0.0
    assert popularity_prior(3, 3, 0.6) == pytest.approx(0.6)
    assert popularity_prior(1, 3, 1.0) == pytest.approx(math.log(2) / math.log(4))
    assert popularity_prior(0, 0, 0.6) == 0.0  # nobody bought anything: no prior, no error


def test_popularity_breaks_even_content_and_ties_go_to_the_smaller_id() -> None:
    orders = {1: 1, 2: 9}
    got = hybrid_scores([1, 2, 3, 4], {1: 0.5, 2: 0.5, 3: 0.5, 4: 0.5}, {}, 0.0, orders, 0.6)
    assert [p for p, _ in got] == [2, 1, 3, 4]
    assert dict(got)[2] - dict(got)[3] == pytest.approx(0.6)


def test_hybrid_scores_of_nothing_is_empty() -> None:
    assert hybrid_scores([], {}, {}, 0.5, {}, 0.6) == []


# -- popular ranking ----------------------------------------------------------------------------


def test_popular_ranking_orders_by_orders_then_rating_then_id() -> None:
    orders = {1: 5, 2: 5, 3: 9}
    ratings = {1: Decimal("4.1"), 2: Decimal("4.8"), 3: None, 4: Decimal("4.9"), 5: None, 6: Decimal("4.9")}
    got = popular_ranking([1, 2, 3, 4, 5, 6], orders, ratings)
    assert [p for p, _ in got] == [3, 2, 1, 4, 6, 5]
    assert [s for _, s in got] == pytest.approx([1.0, 5 / 9, 5 / 9, 0.0, 0.0, 0.0])


def test_popular_ranking_without_any_orders_scores_zero_and_empty_is_empty() -> None:
    assert popular_ranking([2, 1], {}, {}) == [(1, 0.0), (2, 0.0)]
    assert popular_ranking([], {1: 3}, {}) == []


# -- vectors ------------------------------------------------------------------------------------


def test_profile_vector_is_the_weighted_unit_mean() -> None:
    vecs = {1: unit(1, 0), 2: unit(0, 1)}
    profile = profile_vector({1: 3.0, 2: 1.0}, vecs)
    assert profile is not None
    assert np.allclose(profile, unit(3, 1))
    assert profile_vector({1: 1.0}, {}) is None


def test_closest_picks_the_most_similar_or_the_default() -> None:
    vecs = {1: unit(1, 0), 2: unit(0, 1)}
    assert closest(unit(0.2, 1), vecs, default=1) == 2
    assert closest(None, vecs, default=1) == 1 and closest(unit(1, 0), {}, default=7) == 7


# -- MMR --------------------------------------------------------------------------------------


def families(*ids: int) -> dict[int, str]:
    return {i: f"fam{i}" for i in ids}


def shelves(*ids: int) -> dict[int, str]:
    return {i: f"shelf{i}" for i in ids}


def test_mmr_trades_relevance_for_diversity() -> None:
    # 1 and 2 are near duplicates in vector space (distinct families); 3 points elsewhere.
    vectors = {1: unit(1, 0), 2: unit(1, 0.05), 3: unit(0, 1)}
    scored = [(1, 1.0), (2, 0.95), (3, 0.8)]
    relevance_only = mmr(scored, 2, vectors, families(1, 2, 3), shelves(1, 2, 3), Weights(mmr_lambda=1.0))
    assert [p for p, _ in relevance_only] == [1, 2]
    balanced = mmr(scored, 2, vectors, families(1, 2, 3), shelves(1, 2, 3), Weights(mmr_lambda=0.5))
    assert [p for p, _ in balanced] == [1, 3]
    assert balanced[1] == (3, 0.8)  # the candidate's own score is returned, not its MMR value


def test_mmr_caps_one_per_family_and_two_per_shelf() -> None:
    vectors = {i: unit(1, i) for i in range(1, 6)}
    scored = [(1, 0.9), (2, 0.8), (3, 0.7), (4, 0.6), (5, 0.5)]
    fam = {1: "tee", 2: "tee", 3: "a", 4: "b", 5: "c"}
    shelf = {1: "x", 2: "x", 3: "x", 4: "x", 5: "y"}
    got = mmr(scored, 5, vectors, fam, shelf, Weights(mmr_lambda=1.0))
    assert [p for p, _ in got] == [1, 3, 5]  # 2: family taken; 4: shelf x full after 1 and 3


def test_mmr_skips_blocked_families_and_unknown_products() -> None:
    scored = [(1, 0.9), (2, 0.8), (99, 0.99)]
    got = mmr(scored, 3, {}, families(1, 2), shelves(1, 2), blocked_families={"fam1"})
    assert got == [(2, 0.8)]


def test_mmr_of_nothing_or_k_zero_is_empty() -> None:
    assert mmr([], 5, {}, {}, {}) == []
    assert mmr([(1, 1.0)], 0, {}, families(1), shelves(1)) == []


def test_family_key_ignores_colour_words() -> None:
    red = family_key("Basics", "Tees", "Basic Tee Red")
    assert red == family_key("basics", "tees", "Basic Tee Blue") == "basics|tees|basic tee"
    assert family_key("Basics", "Tees", "Basic Tee Aurora", colors=("aurora",)) == red
    assert family_key("Basics", "Tees", "Graphic Tee") != red
