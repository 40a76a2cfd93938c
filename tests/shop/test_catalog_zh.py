"""shop.catalog_zh: a Chinese query in the catalog's English words, and parse_query reading it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shop.catalog_i18n import CATEGORY_ZH, COLOR_ZH, chinese_name
from shop.catalog_query import parse_query
from shop.catalog_zh import glossary, has_han, name_aliases, to_catalog_english
from shop.seed.catalog_vocab import LEAVES


def test_english_text_is_left_alone() -> None:
    for text in ("waterproof jacket under $80 in M, not black", "", "TS-1042", "Nimbus"):
        assert to_catalog_english(text) == text
        assert not has_han(text)
    assert has_han("Nimbus跑鞋")


@pytest.mark.parametrize(
    ("zh", "en"),
    [
        ("跑步鞋", "running shoes"),
        ("登山靴", "hiking boots"),
        ("袜子", "socks"),
        ("羽绒服", "down jacket"),
        ("降噪耳机", "noise-cancelling headphones"),
        ("铸铁平底锅", "cast iron skillet"),
        ("可折叠的水瓶", "collapsible bottle"),
        ("折叠水瓶", "collapsible bottle"),  # 可折叠 without 可
    ],
)
def test_words_read_as_the_catalogs_english(zh: str, en: str) -> None:
    assert to_catalog_english(zh) == en


def test_what_the_glossary_does_not_know_is_dropped_and_latin_kept() -> None:
    assert to_catalog_english("有什么推荐的吗？") == ""
    assert to_catalog_english("Nimbus跑鞋有没有") == "Nimbus running shoes"
    assert to_catalog_english("type-c数据线") == "type-c cable"
    assert to_catalog_english("白T恤") == "white t-shirts"  # a key that starts with a Latin letter


def test_chinese_numerals_and_persons() -> None:
    assert to_catalog_english("一千片的拼图") == "1000 puzzles"
    assert to_catalog_english("两人帐篷") == "2-person tents"
    assert to_catalog_english("四人帐篷") == "4-person tents"


def test_every_category_name_reads_back_as_that_category() -> None:
    table = glossary()
    for leaf in LEAVES:
        first = CATEGORY_ZH[leaf.name.lower()].split()[0]
        assert table[first.lower()] in (leaf.name.lower(), leaf.name.lower().rstrip("s")), leaf.name


def test_every_colour_reads_back_and_so_does_its_one_character_form() -> None:
    table = glossary()
    for en, values in COLOR_ZH.items():
        zh = values.split()[0]
        assert table[zh] in (en, "grey" if en == "gray" else en, "gray")
    assert (table["黑"], table["白"], table["红"]) == ("black", "white", "red")
    assert to_catalog_english("蓝牙音箱") == "bluetooth speaker"  # 蓝 inside 蓝牙 is no colour


@pytest.mark.parametrize(
    ("zh", "en"),
    [
        ("80美元以内的防水外套 M码 不要黑色", "waterproof jacket under $80 in M, not black"),
        ("100美元以下的蓝绿色耳机", "teal headphones under $100"),
        ("50到80块的卫衣", "hoodie between $50 and $80"),
        ("300元以上的帐篷", "tent over $300"),
        ("预算50美元左右的背包", "backpack around $50"),
        ("不超过$60的凉鞋", "sandals under $60"),
        ("尺码XL的T恤", "t-shirt size XL"),
        ("大号夹克", "jacket in L"),
        ("42码的跑鞋", "running shoes size 42"),
        ("除了黑色和白色的T恤", "t-shirt not black or white"),
        ("不要红的", "not red"),
    ],
)
def test_chinese_constraints_give_the_english_filters(zh: str, en: str) -> None:
    assert parse_query(zh).filters == parse_query(en).filters


def test_a_chinese_query_parses_to_the_english_words_and_filters() -> None:
    parsed = parse_query("80美元以内的防水外套 M码 不要黑色", categories=["Jackets"])
    assert parsed.text == "waterproof jackets"
    assert parsed.filters.max_price == Decimal("80.00")
    assert (parsed.filters.size, parsed.filters.exclude_colors) == ("M", ("black",))
    assert parsed.filters.category == "Jackets"  # as "waterproof jackets ..." in English


def test_long_chinese_messages_are_bounded() -> None:
    parsed = parse_query("防水外套" * 1000)
    assert parsed.notes and len(parsed.text) <= 500


def test_name_aliases_teach_a_merchants_chinese_name() -> None:
    aliases = name_aliases(
        [("Acme 神奇小工具", "Acme Widget", "Acme"), ("Acme 超轻帐篷", "Acme Ultralight Tent", "Acme")]
    )
    assert aliases == (("神奇小工具", "Widget"),)  # 超轻帐篷 the glossary reads itself
    assert to_catalog_english("有神奇小工具吗", aliases) == "Widget"
    assert to_catalog_english("神奇小工具") == ""
    # An alias never takes a glossary word's meaning.
    assert to_catalog_english("帐篷", (("帐篷", "Gadget"),)) == "tents"


def test_demo_names_need_no_aliases() -> None:
    names = []
    for leaf in LEAVES:
        for adjective in leaf.adjectives:
            for noun in leaf.nouns:
                name = f"Acme {adjective} {noun}"
                names.append((chinese_name(name, leaf.name, "Acme"), name, "Acme"))
    assert len(name_aliases(names)) <= len(names) // 100
