"""Pricing's money: shop.money's rounding and formatting, and pricing's allocation on top."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.money import UnknownCurrency, format_money
from shop.money import quantize as money
from shop.pricing.allocation import allocate, is_quantized, percent_of, to_minor


def test_money_rounds_half_up_per_currency():
    assert money("2.345", "USD") == Decimal("2.35")
    assert money("2.344", "EUR") == Decimal("2.34")
    assert money("-2.345", "USD") == Decimal("-2.35")
    assert money("1234.5", "JPY") == Decimal("1235")
    assert is_quantized(money("5", "USD"), "USD") and str(money("5", "USD")) == "5.00"
    assert str(money("5", "JPY")) == "5"


def test_money_refuses_floats_and_unknown_currencies():
    with pytest.raises(TypeError):
        money(0.1, "USD")  # type: ignore[arg-type]
    with pytest.raises(UnknownCurrency):
        money("1", "XXX")
    with pytest.raises(ValueError):
        money("NaN", "USD")


def test_format_money():
    assert format_money(Decimal("5"), "USD") == "$5.00"
    assert format_money(Decimal("-12.3"), "USD") == "-$12.30"
    assert format_money(Decimal("1500"), "JPY") == "¥1,500"
    assert format_money(Decimal("3.5"), "EUR") == "€3.50"


def test_percent_of_rounds_once():
    assert percent_of(Decimal("33.33"), Decimal("10"), "USD") == Decimal("3.33")
    assert percent_of(Decimal("0.05"), Decimal("10"), "USD") == Decimal("0.01")  # 0.005 -> half up


def test_allocate_largest_remainder_ties_to_earlier_lines():
    assert allocate(Decimal("1.00"), [Decimal("1"), Decimal("1"), Decimal("1")], "USD") == [
        Decimal("0.34"),
        Decimal("0.33"),
        Decimal("0.33"),
    ]
    assert allocate(Decimal("0"), [], "USD") == []
    with pytest.raises(ValueError):
        allocate(Decimal("1"), [], "USD")


cents = st.integers(min_value=0, max_value=10_000_000)


@given(st.lists(cents, min_size=1, max_size=12), st.data())
def test_allocate_sums_exactly_and_never_exceeds_a_weight(weights, data):
    units = [Decimal(w).scaleb(-2) for w in weights]
    total = sum(weights)
    amount = Decimal(data.draw(st.integers(min_value=0, max_value=total))).scaleb(-2)
    if total == 0:
        amount = Decimal("0.00")
    shares = allocate(amount, units, "USD")
    assert sum(shares) == amount
    assert all(Decimal(0) <= s <= w for s, w in zip(shares, units, strict=False))
    assert all(is_quantized(s, "USD") for s in shares)


@given(
    st.decimals(min_value=-(10**9), max_value=10**9, allow_nan=False, places=6),
    st.sampled_from(["USD", "EUR", "JPY"]),
)
def test_money_is_quantized_and_within_half_a_unit(value, currency):
    q = money(value, currency)
    assert is_quantized(q, currency)
    unit = Decimal(1).scaleb(-{"USD": 2, "EUR": 2, "JPY": 0}[currency])
    assert abs(q - value) <= unit / 2
    assert to_minor(q, currency) == int(q.scaleb({"USD": 2, "EUR": 2, "JPY": 0}[currency]))
