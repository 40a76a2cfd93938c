"""Money: one rounding rule and one formatter for every place a price is computed or shown.

Amounts are ``Decimal`` quantized to the currency's minor unit (USD/EUR 2 decimals, JPY 0),
rounded half up (``2.675 USD`` -> ``2.68``). Text is Babel's currency format for a locale
(``$1,234.50``, ``¥500``, ``€1,234.50``; ``1.234,50 €`` in ``de``). Floats are refused:
a price that went through a float is already wrong.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Union

from babel.numbers import format_currency

__all__ = [
    "DEFAULT_CURRENCY",
    "MoneyInput",
    "UnknownCurrency",
    "digits",
    "format_money",
    "quantize",
    "quantum",
    "to_decimal",
]

#: The shop's currency when a caller does not name one.
DEFAULT_CURRENCY = "USD"

#: Minor-unit exponent per ISO 4217 currency the shop sells in.
CURRENCY_DIGITS: dict[str, int] = {"USD": 2, "EUR": 2, "GBP": 2, "JPY": 0}

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


def quantize(amount: MoneyInput, currency: str = DEFAULT_CURRENCY) -> Decimal:
    """``amount`` rounded half up to ``currency``'s minor unit."""
    return to_decimal(amount).quantize(quantum(currency), rounding=ROUND_HALF_UP)


def format_money(amount: MoneyInput, currency: str = DEFAULT_CURRENCY, locale: str = "en") -> str:
    """What a shopper reads: ``$59.99``, ``-$1.50``, ``¥500``, ``€1,234.50`` (Babel, ``locale``)."""
    code = currency.upper()
    return str(format_currency(quantize(amount, code), code, locale=locale))
