"""Demand curves and the profit-maximising price: the pure maths of price suggestions.

``log(units) = a + b * log(price)`` fitted by least squares; ``b`` is the price
elasticity. With unit cost ``c`` and ``b < -1`` profit ``(p - c) * A * p**b`` peaks at
``p* = c * b / (1 + b)``; with ``b >= -1`` it keeps rising, so the upper bound wins.
Prices are cents, rounded by :func:`shop.money.quantize` (half up); bounds are rounded
inwards, one cent at a time, so a suggested price never leaves them. No database here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Optional, Sequence, Union

import numpy as np
from scipy import stats

from shop.money import DEFAULT_CURRENCY, quantize, quantum

__all__ = ["DemandFit", "Observation", "Skip", "best_price", "fit_demand", "price_bounds", "profit_change"]


@dataclass(frozen=True)
class Observation:
    """Units sold at one price in one period: one point of the demand curve."""

    price: float  # unit price paid
    units: float  # units sold at that price in one period


@dataclass(frozen=True)
class DemandFit:
    """A fitted log-log demand curve; ``elasticity`` is its slope."""

    intercept: float
    elasticity: float
    stderr: float
    ci_low: float  # 95 % confidence interval of the elasticity
    ci_high: float
    r2: float
    observations: int
    prices: int

    @property
    def confidence(self) -> str:
        """Does demand fall with price? ``medium``: the 95 % interval is below zero; ``high``:
        also at least three standard errors below; ``low`` otherwise."""
        if self.ci_high >= 0:
            return "low"
        t = -self.elasticity / self.stderr if self.stderr > 0 else math.inf
        return "high" if t >= 3 else "medium"


@dataclass(frozen=True)
class Skip:
    """Why a product got no suggestion."""

    #: stable: no_sales, too_few_observations, too_few_prices, no_price_response,
    #: low_confidence, margin_unreachable
    reason: str
    detail: str


def fit_demand(
    observations: Sequence[Observation], min_observations: int = 8, min_prices: int = 3
) -> Union[DemandFit, Skip]:
    """Least squares of log(units) on log(price), or why there is not enough to fit."""
    obs = [o for o in observations if o.units > 0 and o.price > 0]
    if not obs:
        return Skip("no_sales", "no sales in the window")
    if len(obs) < min_observations:
        return Skip("too_few_observations", f"{len(obs)} observations, need {min_observations}")
    distinct = len({round(o.price, 2) for o in obs})
    if distinct < min_prices:
        return Skip("too_few_prices", f"{distinct} distinct prices, need {min_prices}")
    x = np.log(np.array([o.price for o in obs], dtype=float))
    y = np.log(np.array([o.units for o in obs], dtype=float))
    n = len(obs)
    xm = x.mean()
    sxx = float(((x - xm) ** 2).sum())
    if sxx <= 1e-12:
        return Skip("too_few_prices", "prices do not vary")
    b = float(((x - xm) * (y - y.mean())).sum() / sxx)
    a = float(y.mean() - b * xm)
    resid = y - (a + b * x)
    rss = float((resid**2).sum())
    tss = float(((y - y.mean()) ** 2).sum())
    se = math.sqrt(rss / (n - 2) / sxx) if n > 2 else math.inf
    t = float(stats.t.ppf(0.975, n - 2))
    r2 = 1.0 - rss / tss if tss > 1e-12 else 1.0
    return DemandFit(a, b, se, b - t * se, b + t * se, r2, n, distinct)


def _cents(value: float) -> Decimal:
    """A float price in cents, half up (``repr`` keeps the float's shortest exact digits)."""
    return quantize(Decimal(repr(value)), DEFAULT_CURRENCY)


def _cents_at_least(value: float) -> Decimal:
    cents = _cents(value)
    return cents + quantum(DEFAULT_CURRENCY) if cents < Decimal(repr(value)) else cents


def _cents_at_most(value: float) -> Decimal:
    cents = _cents(value)
    return cents - quantum(DEFAULT_CURRENCY) if cents > Decimal(repr(value)) else cents


def price_bounds(
    current: Decimal, cost: Decimal, min_margin: float, max_change: float
) -> tuple[Decimal, Decimal]:
    """Lowest and highest allowed price in cents (inside both bounds, rounded inwards)."""
    lo = max(float(current) * (1 - max_change), float(cost) / (1 - min_margin))
    hi = float(current) * (1 + max_change)
    return _cents_at_least(lo - 1e-9), _cents_at_most(hi + 1e-9)


def best_price(
    current: Decimal, cost: Decimal, elasticity: float, min_margin: float, max_change: float
) -> Optional[tuple[Decimal, str]]:
    """The profit-maximising price within the bounds, and what set it: ``optimum``,
    ``max_change`` or ``min_margin``; None if no price satisfies both bounds."""
    lo, hi = price_bounds(current, cost, min_margin, max_change)
    if lo > hi:
        return None
    if elasticity < -1:
        optimum = float(cost) * elasticity / (1 + elasticity)
        price = _cents(optimum)
        if price < lo:
            floor_is_margin = float(cost) / (1 - min_margin) >= float(current) * (1 - max_change)
            return lo, "min_margin" if floor_is_margin else "max_change"
        if price > hi:
            return hi, "max_change"
        return price, "optimum"
    return hi, "max_change"  # inelastic: profit rises with price up to the bound


def profit_change(current: Decimal, price: Decimal, cost: Decimal, elasticity: float) -> float:
    """Expected relative change in profit per period at ``price`` instead of ``current``."""
    p0, p1, c = float(current), float(price), float(cost)
    if p0 <= c:
        return math.inf if p1 > c else 0.0
    return (p1 - c) / (p0 - c) * (p1 / p0) ** elasticity - 1.0
