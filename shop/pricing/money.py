"""Money as ``Decimal`` quantized to each currency's minor unit, rounded half up.

Floats are refused: a price that went through a float is already wrong.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Union

#: Minor-unit exponent per ISO 4217 currency the shop sells in.
CURRENCY_DIGITS: dict[str, int] = {"USD": 2, "EUR": 2, "GBP": 2, "JPY": 0}
CURRENCY_SYMBOLS: dict[str, str] = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}

MoneyInput = Union[Decimal, int, str]


class UnknownCurrency(ValueError):
    """The currency has no configured minor unit."""


def digits(currency: str) -> int:
    """Decimal places of ``currency`` (USD 2, JPY 0)."""
    try:
        return CURRENCY_DIGITS[currency.upper()]
    except KeyError:
        raise UnknownCurrency(f"unsupported currency {currency!r}") from None


def quantum(currency: str) -> Decimal:
    """The smallest amount of ``currency``: 0.01 for USD, 1 for JPY."""
    return Decimal(1).scaleb(-digits(currency))


def to_decimal(value: MoneyInput) -> Decimal:
    """``Decimal`` from a Decimal, int or numeric string; floats raise ``TypeError``."""
    if isinstance(value, bool | float):
        raise TypeError("money must not be a float or bool; pass a Decimal or a string")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        result = Decimal(value)
    else:
        raise TypeError(f"cannot make money from {type(value).__name__}")
    if not result.is_finite():
        raise ValueError("money must be finite")
    return result


def money(value: MoneyInput, currency: str) -> Decimal:
    """``value`` quantized to ``currency``'s minor unit, ROUND_HALF_UP."""
    return to_decimal(value).quantize(quantum(currency), rounding=ROUND_HALF_UP)


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
    """Human text: ``$5.00``, ``-$1.50``, ``¥500``, ``CHF 5.00`` for unknown symbols."""
    q = money(amount, currency)
    sign = "-" if q < 0 else ""
    body = f"{abs(q):,.{digits(currency)}f}"
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    if symbol is None:
        return f"{sign}{currency.upper()} {body}"
    return f"{sign}{symbol}{body}"


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
