"""Product questions: fuzzy lookup, ambiguity, stock by size/colour, facts, comparison."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shop.catalog import CatalogService
from tests.support.small_catalog import make_small_catalog


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    root = tmp_path_factory.mktemp("cat")
    sf, ids = make_small_catalog(f"sqlite:///{root / 'shop.db'}", with_orders=False)
    return CatalogService(sf), ids


@pytest.mark.parametrize(
    "query, sku",
    [
        ("nimbus runing shoe", "SH-NIM-RUN"),
        ("Nimbus Running Shoe", "SH-NIM-RUN"),
        ("sumit flece jaket", "JK-SUM-FLC"),
        ("storm shell jacket", "JK-STM-SHL"),
        ("is the Summit fleece in stock?", "JK-SUM-FLC"),
        ("sh-nim-trl", "SH-NIM-TRL"),
    ],
)
def test_fuzzy_name_finds_the_product(catalog, query, sku):
    service, _ = catalog
    res = service.resolve(query)
    assert res.status == "found" and res.product is not None and res.product.sku == sku


def test_ambiguous_name_returns_several_candidates(catalog):
    service, _ = catalog
    res = service.resolve("nimbus")
    assert res.status == "ambiguous"
    assert {"SH-NIM-RUN", "SH-NIM-TRL"} <= {m.sku for m in res.candidates}
    assert len(service.resolve("basic tee").candidates) >= 3


def test_a_partial_name_resolves_to_the_candidate_the_message_spells_out(catalog):
    service, _ = catalog
    res = service.resolve("nimbus")
    names = {m.sku: m.name for m in res.candidates}
    picked = res.written_in(f"does the {names['SH-NIM-TRL']} come in size 10?")
    assert picked.status == "found" and picked.product is not None and picked.product.sku == "SH-NIM-TRL"
    assert picked.candidates == res.candidates


def test_a_chinese_name_in_the_message_picks_its_candidate():
    from shop.catalog import Match, Resolution

    a = Match(1, "JK-A", "Summit Down Jacket", "Summit", 0.7, "Summit 羽绒夹克")
    b = Match(2, "JK-B", "Summit Down Vest", "Summit", 0.7, "Summit 羽绒背心")
    res = Resolution(None, (a, b))
    assert res.written_in("Summit 羽绒背心有XS码的现货吗？").product == b
    assert res.written_in("Summit 羽绒有XS码吗").status == "ambiguous"  # neither spelled out
    assert res.written_in("") == res


@pytest.mark.parametrize("query", ["", "   ", "xyzzy plugh", "the", "a" * 10_000])
def test_unknown_or_empty_name_is_not_found(catalog, query):
    service, _ = catalog
    assert service.resolve(query).status == "not_found"
    assert service.lookup(query) is None


def test_facts_list_price_sizes_colours_and_materials(catalog):
    service, ids = catalog
    f = service.lookup("summit fleece jacket")
    assert f is not None and f.price == Decimal("70.00") and f.materials == "polyester fleece"
    assert f.sizes == ("S", "M", "L") and f.colors == ("green", "navy")
    assert f.colors_in_stock == ("green", "navy") and f.url == "/product/JK-SUM-FLC"
    assert service.get(ids["JK-SUM-FLC"]) == service.get("jk-sum-flc")
    assert service.get(123456) is None and service.get("NOPE") is None


def test_stock_by_size_and_colour_with_alternatives(catalog):
    service, _ = catalog
    sold_out = service.stock("JK-SUM-FLC", size="M", color="green")
    assert sold_out is not None and sold_out.offered and not sold_out.in_stock
    assert {(v.size, v.color) for v in sold_out.alternatives} == {("S", "green"), ("M", "navy")}
    ok = service.stock("JK-SUM-FLC", size="m")
    assert ok is not None and ok.in_stock and ok.quantity == 2
    never = service.stock("JK-SUM-FLC", size="XXL")
    assert never is not None and not never.offered
    assert service.stock("NOPE", size="M") is None


def test_compare_two_products(catalog):
    service, _ = catalog
    c = service.compare("SH-NIM-RUN", "SH-NIM-TRL")
    assert c is not None and c.cheaper_sku == "SH-NIM-RUN" and c.price_difference == Decimal("10.00")
    assert c.rows[0] == ("Price", "$89.00", "$99.00")
    assert service.compare("SH-NIM-RUN", "NOPE") is None


def test_promotion_hook_sets_sale_price(catalog):
    service, _ = catalog
    promo = CatalogService(
        service.session_factory, promotion_price=lambda f: (f.price * Decimal("0.8"), "20% off")
    )
    f = promo.get("SH-NIM-RUN")
    assert f is not None and f.sale_price == Decimal("71.20") and f.promotion == "20% off"
