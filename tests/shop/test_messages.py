"""The message catalogue: every key in every language with the same placeholders, Chinese
written in Chinese, and money, dates and counts in the language's locale."""

from __future__ import annotations

import re
import string
from datetime import date, datetime
from decimal import Decimal

import pytest

from shop import messages as m
from shop.clock import DATE, DAY, format_date, format_local_date
from shop.money import format_money

HAN = re.compile("[\u4e00-\u9fff]")
LATIN = re.compile("[A-Za-z]")


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _without_placeholders(template: str) -> str:
    return "".join(literal for literal, _, _, _ in string.Formatter().parse(template))


def test_every_language_has_every_key_and_nothing_else() -> None:
    english = set(m.CATALOGUES["en"])
    for lang, catalogue in m.CATALOGUES.items():
        assert set(catalogue) == english, lang
    assert len(english) > 150  # the whole of what the actions say, not a sample


@pytest.mark.parametrize("key", sorted(m.CATALOGUES["en"]))
def test_same_placeholders_in_every_language(key: str) -> None:
    wanted = _placeholders(m.CATALOGUES["en"][key])
    for lang, catalogue in m.CATALOGUES.items():
        assert _placeholders(catalogue[key]) == wanted, (lang, key)


def test_chinese_is_written_in_chinese() -> None:
    for key, template in m.CATALOGUES["zh"].items():
        if key in m.FORMAT_ONLY:  # layout only: not a word of English left in it either
            assert not LATIN.search(_without_placeholders(template)), key
        else:
            assert HAN.search(template), key
    assert m.FORMAT_ONLY < set(m.CATALOGUES["en"])


def test_chinese_speaks_to_the_shopper_politely() -> None:
    """The customer-service register: 您, never the familiar 你."""
    said = "".join(m.CATALOGUES["zh"].values())
    assert "你" not in said
    assert said.count("您") >= 40


def test_every_template_fills() -> None:
    for lang, catalogue in m.CATALOGUES.items():
        for key, template in catalogue.items():
            params = {name: f"<{name}>" for name in _placeholders(template)}
            filled = m.text(key, lang, **params)
            assert filled or key == "fmt.sentence", (lang, key)  # Chinese sentences join without a space
            assert "{" not in filled and "}" not in filled, (lang, key)


def test_text_fills_and_falls_back_to_english() -> None:
    assert m.text("order.total", "en", total="$5.00") == "Total: $5.00."
    assert m.text("order.total", "zh", total="US$5.00") == "合计：US$5.00。"
    # a shop language without a catalogue is answered in English, with English formats
    assert m.text("order.total", "de", total="x") == "Total: x."
    assert m.money(Decimal("1234.5"), "de") == "$1,234.50"
    assert m.text("order.total", None, total="x") == "Total: x."
    with pytest.raises(KeyError):
        m.text("no.such.key", "zh")


def test_user_text_in_a_parameter_is_not_a_template() -> None:
    assert m.text("product.called", "en", name="{0} {x}") == ' called "{0} {x}"'


def test_chinese_sentences_join_without_spaces_except_after_latin_script() -> None:
    assert m.join("sentence", ["有现货。", "目前缺货。"], "zh") == "有现货。目前缺货。"
    assert m.join("sentence", ["材质：棉。", "Soft and warm.", "顾客评分 4/5。"], "zh") == (
        "材质：棉。Soft and warm. 顾客评分 4/5。"
    )
    assert m.join("sentence", ["In stock.", "Rated 4/5."], "en") == "In stock. Rated 4/5."
    assert m.join("list", ["a", "b"], "zh") == "a；b"


def test_plural_picks_the_form_and_formats_the_count() -> None:
    assert m.plural("minutes", 1, "en") == "1 minute"
    assert m.plural("minutes", 15, "en") == "15 minutes"
    assert m.plural("minutes", 1, "zh") == "1 分钟"
    assert m.plural("times", 1, "en") == "once" and m.plural("times", 3, "en") == "3 times"
    assert m.plural("more_items", 1200, "zh") == "1,200 件商品"


def test_variants_list_a_key_in_every_language() -> None:
    prefixes = m.variants("identity.locked_prefix")
    assert prefixes[0] == "For your security I've paused order lookups" and len(prefixes) == 2
    assert HAN.search(prefixes[1])


# -- money, dates and numbers per locale ----------------------------------------------------


@pytest.mark.parametrize(
    "amount, currency", [("59.99", "USD"), ("-1.5", "USD"), ("1234.5", "EUR"), ("6000", "JPY"), ("0", "USD")]
)
def test_english_money_is_what_the_shop_always_wrote(amount: str, currency: str) -> None:
    assert m.money(Decimal(amount), "en", currency) == format_money(Decimal(amount), currency)


def test_chinese_money_is_the_zh_hans_cn_format_of_the_shop_currency() -> None:
    assert m.money(Decimal("1234.5"), "zh") == "US$1,234.50"
    assert m.money(Decimal("-1.5"), "zh") == "-US$1.50"
    assert m.money(Decimal("2.675"), "zh") == "US$2.68"  # the shop's one rounding rule
    assert m.money(Decimal("6000"), "zh", "JPY") == "JP¥6,000"


def test_dates_per_locale() -> None:
    moment = datetime(2026, 12, 2, 23, 59, 59)
    assert m.date_text(moment, "en") == format_date(moment, pattern=DATE) == "2 December 2026"
    assert m.day(moment, "en") == format_date(moment, pattern=DAY) == "Wed 2 Dec 2026"
    assert m.date_text(moment, "zh") == "2026年12月2日"
    assert m.day(moment, "zh") == "2026年12月2日周三"
    assert m.day(None, "en") == "unknown" and m.day(None, "zh") == "暂未确定"


def test_local_dates_are_utc_days_and_keep_english_patterns() -> None:
    aware = datetime.fromisoformat("2024-06-04T23:30:00-05:00")  # 5 June in UTC
    assert format_local_date(aware, "zh_Hans_CN") == "2024年6月5日"
    assert format_local_date(aware, "en_US", weekday=True) == "Wed 5 Jun 2024"
    assert format_local_date(date(2024, 6, 4), "en") == "4 June 2024"
    assert format_local_date(date(2024, 6, 4), "de_DE") == "4. Juni 2024"


def test_numbers_per_locale() -> None:
    assert m.number(1200, "en") == "1,200" and m.number(3, "zh") == "3"
    assert m.number(Decimal("4.5"), "zh") == "4.5"
