"""Money for pricing: the shop's one money module (shop/money.py) plus pricing's helpers.

Rounding (half up to each currency's minor unit) and formatting (Babel) live in
``shop.money``; the names here are kept for pricing's callers.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from shop.money import CURRENCY_DIGITS, MoneyInput, UnknownCurrency, digits, quantize, quantum, to_decimal
from shop.money import format_money as _format_money

__all__ = [
    "CURRENCY_DIGITS",
    "MoneyInput",
    "UnknownCurrency",
    "allocate",
    "digits",
    "floor_money",
    "format_money",
    "format_percent",
    "from_minor",
    "is_quantized",
    "money",
    "percent_of",
    "quantum",
    "to_decimal",
    "to_minor",
    "zero",
]


def money(value: MoneyInput, currency: str) -> Decimal:
    """``value`` quantized to ``currency``'s minor unit, ROUND_HALF_UP (shop.money.quantize)."""
    return quantize(value, currency)


def zero(currency: str) -> Decimal:
    return money(0, currency)


def to_minor(amount: Decimal, currency: str) -> int:
    """Whole minor units (cents) of an amount, rounded half up."""
    return int(money(amount, currency).scaleb(digits(currency)))


def from_minor(units: int, currency: str) -> Decimal:
    """Inverse of :func:`to_minor`."""
    return money(Decimal(units).scaleb(-digits(currency)), currency)


def percent_of(amount: Decimal, percent: Decimal, currency: str) -> Decimal:
    """``percent`` % of ``amount``, rounded half up to the currency."""
    return money(to_decimal(amount) * to_decimal(percent) / Decimal(100), currency)


def is_quantized(amount: Decimal, currency: str) -> bool:
    """True if ``amount`` carries exactly the currency's number of decimals."""
    return amount.as_tuple().exponent == -digits(currency)


def format_money(amount: Decimal, currency: str) -> str:
    """Human text: ``$5.00``, ``-$1.50``, ``¥500`` (shop.money.format_money)."""
    return _format_money(amount, currency)


def format_percent(percent: Decimal) -> str:
    """``10`` -> ``10%``, ``12.5`` -> ``12.5%``."""
    p = to_decimal(percent)
    text = format(p.normalize(), "f") if p != p.to_integral_value() else str(int(p))
    return f"{text}%"


def allocate(amount: Decimal, weights: list[Decimal], currency: str) -> list[Decimal]:
    """Split ``amount`` over ``weights`` by largest remainder, summing exactly to it.

    Shares are proportional to the weights in whole minor units; left-over units go to
    the largest fractional remainders, ties to the earlier weight. When
    ``0 <= amount <= sum(weights)`` no share exceeds its weight.
    """
    if not weights:
        if money(amount, currency) != 0:
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
    return [from_minor(sign * f, currency) for f in floors]


def floor_money(value: Decimal, currency: str) -> Decimal:
    """Round toward zero to the currency's minor unit."""
    return to_decimal(value).quantize(quantum(currency), rounding=ROUND_DOWN)
