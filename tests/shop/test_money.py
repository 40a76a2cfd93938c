"""shop.money: one rounding rule (half up per currency) and Babel formatting."""

from decimal import Decimal

import pytest

from shop.money import UnknownCurrency, format_money, quantize
from shop.pricing import allocation


def test_rounds_half_up_to_cents():
    assert quantize(Decimal("2.675"), "USD") == Decimal("2.68")
    assert quantize(Decimal("2.665"), "USD") == Decimal("2.67")  # half-even would give 2.66
    assert quantize(Decimal("0.125"), "USD") == Decimal("0.13")
    assert quantize(Decimal("-0.125"), "EUR") == Decimal("-0.13")  # half away from zero
    assert quantize("2.675", "USD") == Decimal("2.68") and quantize(3, "USD") == Decimal("3.00")


def test_jpy_has_no_decimals_and_a_yen_sign():
    assert quantize(Decimal("500.5"), "JPY") == Decimal("501")
    assert format_money(Decimal("500.4"), "JPY") == "¥500"


def test_eur_formats_with_the_euro_sign_per_locale():
    assert format_money(Decimal("1234.5"), "EUR") == "€1,234.50"
    assert format_money(Decimal("1234.5"), "EUR", locale="de") == "1.234,50\xa0€"


def test_usd_shows_the_dollar_sign_and_two_decimals():
    assert format_money(Decimal("59.99")) == "$59.99"
    assert format_money(Decimal("-1.5"), "USD") == "-$1.50"


def test_floats_are_refused():
    with pytest.raises(TypeError):
        quantize(2.675, "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_money(59.99)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        quantize(True, "USD")


def test_jpy_rounds_half_up_to_whole_yen():
    assert quantize(Decimal("0.5"), "JPY") == Decimal("1")
    assert format_money(Decimal("1234.5"), "JPY") == "¥1,235"
    assert format_money(Decimal("1500"), "JPY", locale="de") == "1.500\xa0¥"


def test_unknown_currency_is_refused_not_guessed():
    with pytest.raises(UnknownCurrency):
        format_money(Decimal("5"), "XXX")


def test_pricing_rounds_through_the_one_module():
    assert allocation.percent_of(Decimal("26.75"), Decimal("10"), "USD") == quantize(Decimal("2.675"), "USD")
    assert allocation.zero("JPY") == quantize(Decimal("0"), "JPY")
