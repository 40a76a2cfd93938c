"""shop.stats: one linear percentile definition shared by every benchmark."""

import math
import statistics

import pytest

from shop.stats import percentile, summary


def test_percentile_interpolates_between_nearest_ranks():
    values = [1.0, 2.0, 3.0, 4.0]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    assert percentile(values, 50) == 2.5
    assert percentile(values, 95) == pytest.approx(3.85)


def test_percentile_matches_statistics_inclusive_quantiles():
    values = [0.013, 0.2, 0.031, 0.5, 0.07, 0.011, 0.9, 0.05, 0.04, 0.06, 0.12]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    for q in (50, 95, 99):
        assert percentile(values, q) == pytest.approx(cuts[q - 1])


def test_percentile_ignores_input_order_and_accepts_ints():
    assert percentile([5, 1, 3], 50) == 3.0
    assert percentile(iter([9]), 99) == 9.0


def test_empty_sample_or_bad_q_is_refused():
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)
    with pytest.raises(ValueError):
        percentile([1.0, float("nan")], 50)


def test_summary_gives_p50_p95_p99_and_ms_keys():
    s = summary(x / 1000 for x in range(1, 101))  # 1..100 ms, in seconds
    assert s.n == 100
    assert s.p50 == pytest.approx(0.0505)
    assert s.scaled(1000, 1, "_ms") == {"p50_ms": 50.5, "p95_ms": 95.0, "p99_ms": 99.0}


def test_summary_of_nothing_is_nan_not_an_error():
    s = summary([])
    assert s.n == 0 and math.isnan(s.p50) and math.isnan(s.scaled(1000, 1)["p99"])
