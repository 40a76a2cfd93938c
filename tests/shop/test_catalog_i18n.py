"""shop.catalog_i18n: every word of the demo catalog has a Chinese alias, and alias_text reads them."""

from __future__ import annotations

import ast
import random
from pathlib import Path

from shop import catalog_i18n
from shop.catalog_i18n import (
    CATEGORY_ZH,
    COLOR_ZH,
    MATERIAL_ZH,
    WORD_ZH,
    WORD_ZH_BY_CATEGORY,
    alias_terms,
    alias_text,
    chinese_name,
)
from shop.seed.catalog import build_catalog
from shop.seed.catalog_vocab import COLORS, LEAVES, PARENTS
from shop.seed.tables import DEFAULT_SEED, SeedData, default_now

#: Product model names a shopper types as they are (running shoes, boots, bedding "Cloud").
KEPT_ENGLISH = {
    "nimbus", "tempo", "swift", "glide", "pulse", "velocity", "stride", "cloud",
    "ridge", "summit", "granite", "canyon", "timber", "traverse", "basecamp", "pro",
}  # fmt: skip


def test_every_category_and_colour_has_an_alias() -> None:
    for name in [leaf.name for leaf in LEAVES] + list(PARENTS):
        assert CATEGORY_ZH.get(name.lower()), name
    for color in COLORS:
        assert COLOR_ZH.get(color.lower()), color


def test_every_material_has_an_alias() -> None:
    missing = [m for leaf in LEAVES for m in leaf.materials if m.lower() not in MATERIAL_ZH]
    assert missing == []


def test_every_product_noun_has_an_alias() -> None:
    missing = [n for leaf in LEAVES for n in leaf.nouns if n.lower() not in WORD_ZH]
    assert missing == []


def test_adjectives_are_translated_or_kept_as_model_names() -> None:
    missing = []
    for leaf in LEAVES:
        local = WORD_ZH_BY_CATEGORY.get(leaf.name.lower(), {})
        for adjective in leaf.adjectives:
            key = adjective.lower()
            if key not in WORD_ZH and key not in local and key not in KEPT_ENGLISH:
                missing.append((leaf.name, adjective))
    assert missing == []


def test_category_overrides_name_known_categories() -> None:
    assert set(WORD_ZH_BY_CATEGORY) <= set(CATEGORY_ZH)


def test_alias_text_of_a_jacket() -> None:
    text = alias_text(
        "Kestrel Packable Anorak Plus",
        "Jackets",
        ["Pink", "Blue"],
        "nylon ripstop, recycled polyester",
        brand="Kestrel",
    )
    assert text == (
        "可收纳 轻便 套头冲锋衣。夹克 外套 冲锋衣。颜色：粉色 蓝色。材质：防撕裂尼龙 再生聚酯纤维 环保面料"
    )


def test_longest_phrase_wins() -> None:
    terms = alias_terms("Summit Zip Hoodie", "Hoodies", brand="Summit")
    assert terms[0] == "拉链连帽卫衣 开衫卫衣"
    assert "拉链" not in terms


def test_a_word_takes_its_category_meaning() -> None:
    assert "保温" in alias_terms("Insulated Bottle", "Water Bottles")
    assert "保暖 棉服" in alias_terms("Insulated Parka", "Jackets")


def test_the_brand_is_not_read_as_a_product_word() -> None:
    # "Basecamp" is also a tent adjective (营地); as the brand it adds nothing.
    assert alias_terms("Basecamp Co. Dome Tent", "Tents", brand="Basecamp Co.") == [
        "圆顶",
        "帐篷",
        "帐篷 露营",
    ]


def test_unknown_fields_give_what_is_known_or_nothing() -> None:
    assert alias_text("Acme Widget", "Gadgets", ["Mauve"], "unobtainium") == ""
    assert alias_text("Acme Widget", "Gadgets", ["Black"]) == "颜色：黑色"
    assert alias_text("", "") == ""


def test_case_and_spacing_do_not_matter() -> None:
    assert alias_text("  RAIN   jacket ", "jackets", ["BLACK"]) == alias_text(
        "Rain Jacket", "Jackets", ["Black"]
    )


def test_every_demo_product_gets_its_category_and_a_name_word() -> None:
    data = SeedData(now=default_now())
    catalog = build_catalog(data, random.Random(DEFAULT_SEED), 400)
    for p in catalog.products:
        row = p.row
        terms = alias_terms(row["name"], row["category"], (), row["materials"], row["brand"])
        assert CATEGORY_ZH[row["category"].lower()] in terms, row["name"]
        assert len(terms) >= 3, (row["name"], terms)  # a noun, the category, a material


def test_the_module_imports_nothing_outside_the_standard_library() -> None:
    tree = ast.parse(Path(catalog_i18n.__file__).read_text())
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
        elif isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
    assert imported <= {"__future__", "re", "collections"}


def test_chinese_name_keeps_brand_model_names_and_suffixes() -> None:
    assert (
        chinese_name("Kestrel Packable Anorak Plus", "Jackets", "Kestrel") == "Kestrel 可收纳套头冲锋衣 Plus"
    )
    assert chinese_name("Alder Down Jacket", "Jackets", "Alder") == "Alder 羽绒夹克"
    assert (
        chinese_name("Ridgeline Swift Running Shoe", "Running Shoes", "Ridgeline") == "Ridgeline Swift 跑步鞋"
    )
    assert chinese_name("Summit Insulated Bottle", "Water Bottles", "Summit") == "Summit 保温水瓶"


def test_chinese_name_is_empty_when_no_word_is_known() -> None:
    assert chinese_name("Acme Widget", "Gadgets", "Acme") == ""
    assert chinese_name("", "") == ""


def test_every_demo_product_gets_a_chinese_name() -> None:
    data = SeedData(now=default_now())
    build_catalog(data, random.Random(DEFAULT_SEED), 400)
    for row in data.tables["products"]:
        zh = row["name_zh"]
        assert zh == chinese_name(row["name"], row["category"], row["brand"])
        assert zh.startswith(row["brand"]) and any("\u4e00" <= ch <= "\u9fff" for ch in zh), row["name"]
