"""shop.catalog_rows.display_name: the Chinese name for a Chinese shopper, else the English one."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from shop.catalog import CatalogService
from shop.catalog_rows import display_name, read_summaries
from shop.db.models import Product
from tests.conftest import Db


@dataclass(frozen=True)
class Named:
    name: str
    name_zh: str


@pytest.mark.parametrize("language", ["zh", "ZH", "zh-CN", "zh_Hans_CN", " zh "])
def test_a_chinese_shopper_sees_the_chinese_name(language: str) -> None:
    assert display_name(Named("Alder Down Jacket", "Alder 羽绒夹克"), language) == "Alder 羽绒夹克"


@pytest.mark.parametrize("language", ["en", "en-US", "", None, "de", "zhx"])
def test_everyone_else_sees_the_english_name(language: str | None) -> None:
    assert display_name(Named("Alder Down Jacket", "Alder 羽绒夹克"), language) == "Alder Down Jacket"


def test_no_chinese_name_falls_back_to_the_english_one() -> None:
    assert display_name(Named("Acme Widget", ""), "zh") == "Acme Widget"
    assert display_name(Named("Acme Widget", "  "), "zh") == "Acme Widget"


def test_summaries_and_matches_carry_the_stored_chinese_name(seeded_db: Db) -> None:
    with seeded_db.sessions() as s:
        product = s.query(Product).order_by(Product.id).first()
        assert product is not None and product.name_zh
        pid, name, name_zh = product.id, product.name, product.name_zh
    summary = read_summaries(seeded_db.sessions, [pid])[pid]
    assert (summary.name, summary.name_zh) == (name, name_zh)
    assert display_name(summary, "zh") == name_zh
    catalog = CatalogService(seeded_db.sessions)
    found = catalog.resolve(name_zh)  # the Chinese name finds its product exactly
    assert found.product is not None and found.product.product_id == pid
    assert display_name(found.product, "zh") == name_zh
    facts = catalog.get(pid)
    assert facts is not None and display_name(facts, "zh") == name_zh
