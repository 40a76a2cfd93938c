"""The spaCy catalog ruler in Chinese text: Han characters are tokens, aliases from catalog_i18n."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from catalog_index.spacy_pipeline import build_pipeline, product_aliases_zh
from shop.catalog_rows import CatalogRow
from tests.support.small_catalog import make_small_catalog


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("spacy_zh")
    sf, _ids = make_small_catalog(f"sqlite:///{root / 'shop.db'}", with_orders=False)
    build_pipeline(sf, root / "nlp")
    return sf, spacy.load(root / "nlp")


def ents(nlp, text: str) -> set[tuple[str, str, str]]:
    return {(e.text, e.label_, e.ent_id_) for e in nlp(text).ents}


def test_han_characters_are_tokens_and_latin_runs_come_apart(catalog) -> None:
    nlp = catalog[1]
    assert [t.text for t in nlp("我想要黑色的Nimbus跑鞋，有M码吗")] == [
        *"我想要黑色的",
        "Nimbus",
        *"跑鞋，有",
        "M",
        *"码吗",
    ]


def test_english_tokens_are_those_of_blank_english(catalog) -> None:
    blank = spacy.blank("en")
    text = "Is the nimbus running shoe in stock in M? e-mail a@b.com, $50.99, 3/5, x-large t-shirts, it's"
    assert [t.text for t in catalog[1](text)] == [t.text for t in blank(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("有没有黑色的跑鞋", {("黑色", "color", "black"), ("跑鞋", "category", "Running Shoes")}),
        ("想看看登山靴", {("登山靴", "category", "Hiking Boots")}),
        ("夹克有M码吗", {("夹克", "category", "Jackets"), ("M码", "size", "M")}),
        ("这件有中号的吗", {("中号", "size", "M")}),
        ("藏青色还有货吗", {("藏青色", "color", "navy")}),
        ("Summit抓绒夹克多少钱", {("Summit抓绒夹克", "product", "JK-SUM-FLC")}),
    ],
)
def test_chinese_aliases_are_entities_with_the_catalogs_ids(catalog, text: str, expected) -> None:
    assert ents(catalog[1], text) == expected


def test_english_entities_still_match(catalog) -> None:
    found = ents(catalog[1], "is the Summit Fleece Jacket in M in navy? any Peakline jackets")
    assert {("Summit Fleece Jacket", "product", "JK-SUM-FLC"), ("M", "size", "M")} <= found
    assert ("navy", "color", "navy") in found and ("Peakline", "brand", "Peakline") in found


def _row(sku: str, name: str, brand: str, category: str) -> CatalogRow:
    return CatalogRow(0, sku, name, brand, category, "", "", (), ())


def test_one_character_colours_are_not_entities(catalog) -> None:
    assert ents(catalog[1], "红包发了吗") == set()  # 红 alone is not red


def test_product_aliases_name_one_product_or_none() -> None:
    aliases = product_aliases_zh(
        [
            _row("A", "Summit Down Jacket", "Summit", "Jackets"),
            _row("B", "Summit Fleece Jacket Max", "Summit", "Jackets"),
            _row("C", "Quokka Zorblat Jacket", "Quokka", "Jackets"),  # a word with no Chinese
        ]
    )
    assert aliases["summit 羽绒服"] == "A" and aliases["summit 抓绒夹克 max"] == "B"
    assert aliases["summit 抓绒"] == "B"
    assert "summit 夹克" not in aliases  # both are Summit jackets: a brand and a category
    assert not [sku for sku in aliases.values() if sku == "C"]


def test_saved_pipeline_needs_no_custom_code(catalog, tmp_path: Path) -> None:
    catalog[1].to_disk(tmp_path / "copy")
    assert [t.text for t in spacy.load(tmp_path / "copy")("要黑色")] == ["要", "黑", "色"]
