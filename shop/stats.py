"""Percentiles: one definition for every benchmark, load check and analytics figure.

``percentile(values, q)`` interpolates linearly between the two nearest ranks of the sorted
sample (the "linear" / type 7 definition: numpy's default, ``statistics.quantiles(...,
method="inclusive")``): p0 is the minimum, p100 the maximum, p50 the median, and one value
is every percentile of itself. Figures from different scripts are therefore comparable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

__all__ = ["Summary", "percentile", "summary"]


def _sorted(values: Iterable[float]) -> list[float]:
    ordered = sorted(float(v) for v in values)
    if any(math.isnan(v) for v in ordered):
        raise ValueError("percentile of a sample containing NaN")
    return ordered


def _linear(ordered: list[float], q: float) -> float:
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def percentile(values: Iterable[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, linear between nearest ranks.

    Raises ``ValueError`` for an empty sample or ``q`` outside 0-100: a figure made up for
    no data would read as a measurement.
    """
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"percentile q must be within 0-100, got {q}")
    ordered = _sorted(values)
    if not ordered:
        raise ValueError("percentile of an empty sample")
    return _linear(ordered, q)


@dataclass(frozen=True)
class Summary:
    """p50/p95/p99 of a sample and its size; NaN percentiles when the sample was empty."""

    n: int
    p50: float
    p95: float
    p99: float

    def scaled(self, factor: float, ndigits: int | None = None, suffix: str = "") -> dict[str, float]:
        """``{"p50<suffix>": ..., ...}`` times ``factor`` (seconds -> ms: 1000, "_ms"), rounded."""

        def fix(value: float) -> float:
            value *= factor
            return value if ndigits is None or math.isnan(value) else round(value, ndigits)

        return {f"p50{suffix}": fix(self.p50), f"p95{suffix}": fix(self.p95), f"p99{suffix}": fix(self.p99)}


def summary(values: Iterable[float]) -> Summary:
    """p50, p95 and p99 of ``values`` in one sort; an empty sample gives NaN, not an error.

    Load runs where every request failed still print a row, so emptiness is data here.
    """
    ordered = _sorted(values)
    if not ordered:
        nan = float("nan")
        return Summary(0, nan, nan, nan)
    return Summary(len(ordered), _linear(ordered, 50), _linear(ordered, 95), _linear(ordered, 99))
