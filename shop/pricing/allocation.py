"""Pricing's arithmetic on money: percentages of an amount and splitting a discount over lines.

Rounding is :func:`shop.money.quantize` (half up to the currency's minor unit) and nothing
else: a percentage is rounded once, and a split is made in whole minor units by largest
remainder, so the shares always add up to the discount to the cent.
"""

from __future__ import annotations

from decimal import Decimal

from shop.money import MoneyInput, digits, quantize, to_decimal

__all__ = ["allocate", "clamp_percent", "is_quantized", "percent_of", "to_minor", "zero"]


def zero(currency: str) -> Decimal:
    """Nothing, with the currency's number of decimals (``0.00``, JPY ``0``)."""
    return quantize(0, currency)


def clamp_percent(value: Decimal) -> Decimal:
    """A percentage held to 0..100, so no offer can add to a price or take more than it."""
    return min(max(value, Decimal(0)), Decimal(100))


def to_minor(amount: MoneyInput, currency: str) -> int:
    """Whole minor units (cents) of an amount, rounded half up."""
    return int(quantize(amount, currency).scaleb(digits(currency)))


def _from_minor(units: int, currency: str) -> Decimal:
    return quantize(Decimal(units).scaleb(-digits(currency)), currency)


def percent_of(amount: MoneyInput, percent: MoneyInput, currency: str) -> Decimal:
    """``percent`` % of ``amount``, rounded once, half up, to the currency."""
    return quantize(to_decimal(amount) * to_decimal(percent) / Decimal(100), currency)


def is_quantized(amount: Decimal, currency: str) -> bool:
    """True if ``amount`` carries exactly the currency's number of decimals."""
    return amount.as_tuple().exponent == -digits(currency)


def allocate(amount: Decimal, weights: list[Decimal], currency: str) -> list[Decimal]:
    """Split ``amount`` over ``weights`` by largest remainder, summing exactly to it.

    Shares are proportional to the weights in whole minor units; left-over units go to
    the largest fractional remainders, ties to the earlier weight. When
    ``0 <= amount <= sum(weights)`` no share exceeds its weight.
    """
    if not weights:
        if quantize(amount, currency) != 0:
            raise ValueError("cannot allocate a non-zero amount over no weights")
        return []
    total_units = to_minor(amount, currency)
    units = [to_minor(w, currency) for w in weights]
    if any(u < 0 for u in units):
        raise ValueError("weights must not be negative")
    weight_sum = sum(units)
    if weight_sum == 0:
        if total_units != 0:
            raise ValueError("cannot allocate a non-zero amount over zero weights")
        return [zero(currency) for _ in weights]
    sign = -1 if total_units < 0 else 1
    magnitude = abs(total_units)
    floors = [magnitude * u // weight_sum for u in units]
    remainders = [magnitude * u % weight_sum for u in units]
    left = magnitude - sum(floors)
    order = sorted(range(len(units)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        floors[i] += 1
    return [_from_minor(sign * f, currency) for f in floors]
