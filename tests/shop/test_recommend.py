"""Recommendations on a small built catalog: filters, stock, blending, cold start, diversity."""

from __future__ import annotations

from decimal import Decimal

import pytest

from actions.carousel import carousel_payload, carousel_text
from catalog_index import build_index, load_index
from shop.catalog_query import Filters, parse_query
from shop.db.models import Base
from shop.db.session import make_engine, make_sessionmaker
from shop.money import format_money
from shop.ranking import family_key
from shop.recommend import Recommender
from tests.support.small_catalog import make_small_catalog


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    root = tmp_path_factory.mktemp("rec")
    sf, ids = make_small_catalog(f"sqlite:///{root / 'shop.db'}")
    build_index(sf, root / "index")
    return Recommender(load_index(root / "index", sf), sf), ids


def skus(recs):
    return [r.sku for r in recs]


def test_search_applies_price_size_and_excluded_colour(shop):
    rec, _ = shop
    f = Filters(max_price=Decimal("80"), size="M", exclude_colors=("black",))
    got = rec.search("waterproof jacket", 5, f)
    assert got and got[0].sku == "JK-STM-SHL"  # has red in M; Drizzle is black only
    assert "JK-DRZ-RAI" not in skus(got)
    assert "JK-CSC-PRK" not in skus(got)  # over budget
    assert all(r.price <= Decimal("80") for r in got)


def test_out_of_stock_products_and_variants_are_never_recommended(shop):
    rec, _ = shop
    assert "JK-TMP-WPJ" not in skus(rec.search("waterproof storm jacket heavy rain", 20))
    # Summit fleece: M green is sold out, M navy is not.
    assert "JK-SUM-FLC" not in skus(rec.search("fleece jacket", 20, Filters(size="M", color="green")))
    assert "JK-SUM-FLC" in skus(rec.search("fleece jacket", 20, Filters(size="M", color="navy")))
    assert "GL-TCH-GLV" not in skus(rec.search("gloves", 20, Filters(size="M")))


def test_category_and_min_price_filters(shop):
    rec, _ = shop
    got = rec.search("something warm", 10, Filters(category="jacket", min_price=Decimal("65")))
    assert got and all(r.category == "Jackets" and r.price >= Decimal("65") for r in got)
    assert rec.search("anything", 5, Filters(category="spaceships")) == []


def test_results_are_frozen_dataclasses_with_url_and_decimal_price(shop):
    rec, _ = shop
    r = rec.search("yoga", 1)[0]
    assert r.url == f"/product/{r.sku}" and isinstance(r.price, Decimal) and r.reason
    with pytest.raises(AttributeError):
        r.score = 0  # type: ignore[misc]


def test_links_are_the_storefronts_and_follow_its_public_address(shop, monkeypatch):
    rec, _ = shop
    monkeypatch.delenv("STOREFRONT_PUBLIC_URL", raising=False)
    r = rec.search("yoga", 1)[0]
    assert (r.url, r.image_url) == (f"/product/{r.sku}", f"/img/{r.sku}.svg")
    monkeypatch.setenv("STOREFRONT_PUBLIC_URL", "https://shop.example.com/")
    r = rec.search("yoga", 1)[0]
    assert r.url == f"https://shop.example.com/product/{r.sku}"
    assert r.image_url == f"https://shop.example.com/img/{r.sku}.svg"


def test_carousel_cards_carry_the_currency_and_the_storefront_links(shop, monkeypatch):
    monkeypatch.delenv("STOREFRONT_PUBLIC_URL", raising=False)
    rec, _ = shop
    recs = rec.search("jacket", 3)
    cards = carousel_payload(recs)["products"]
    assert cards and len(cards) == len(recs)
    for card, r in zip(cards, recs, strict=True):
        assert card["sku"] == r.sku and card["price"] == format_money(r.price)
        assert card["price"].startswith("$") and card["price"] != str(r.price)
        assert card["url"] == f"/product/{r.sku}" and card["image"] == f"/img/{r.sku}.svg"
    text = carousel_text("Here you go:", recs)
    assert all(r.name in text and format_money(r.price) in text and r.sku not in text for r in recs)
    payload = carousel_payload(recs, intro="Here you go:", text=text)
    assert (payload["intro"], payload["text"]) == ("Here you go:", text)
    assert "intro" not in carousel_payload(recs) and "text" not in carousel_payload(recs)


def test_similar_to_uses_stored_vector_and_skips_the_anchor_family(shop):
    rec, ids = shop
    got = rec.similar_to(ids["SH-NIM-RUN"], 3)
    assert got and "SH-NIM-RUN" not in skus(got) and got[0].sku == "SH-NIM-TRL"
    tees = rec.similar_to(ids["TS-BAS-RED"], 5)
    assert not [s for s in skus(tees) if s.startswith("TS-BAS")]


def test_also_bought_blends_copurchase_over_pure_content(shop):
    rec, ids = shop
    got = rec.also_bought(ids["SH-NIM-RUN"], 3)
    assert got[0].sku == "SO-RUN-SCK" and "bought with" in got[0].reason
    content = rec.similar_to(ids["SH-NIM-RUN"], 3)
    assert content[0].sku != "SO-RUN-SCK"


def test_also_bought_for_a_never_bought_product_is_content_only(shop):
    rec, ids = shop
    got = rec.also_bought(ids["CP-LNT-AUR"], 3)
    assert got and all(r.reason.startswith("similar to") for r in got)


def test_diversity_caps_one_product_per_family(shop):
    rec, _ = shop
    got = rec.search("basic cotton crew-neck t-shirt", 5)
    assert len([s for s in skus(got) if s.startswith("TS-BAS")]) == 1
    fams = [family_key(r.brand, r.category, r.name) for r in got]
    assert len(fams) == len(set(fams))


def test_personal_picks_follow_history_and_fall_back_to_popular(shop):
    rec, ids = shop
    runner = 1  # first basket: shoe + socks
    got = rec.personal_picks(runner, 3)
    assert got and not {"SH-NIM-RUN", "SO-RUN-SCK"} & set(skus(got))
    assert got[0].sku == "TS-RUN-TEE"
    newcomer = rec.personal_picks(999_999, 3)
    assert newcomer and all(r.reason == "popular with shoppers" for r in newcomer)


def test_unknown_product_gives_none_and_bad_k_is_bounded(shop):
    rec, ids = shop
    assert rec.similar_to(424242) is None and rec.also_bought(424242) is None
    assert rec.search("jacket", 0) == [] and rec.search("jacket", -3) == []
    assert len(rec.search("jacket", 10_000)) <= 50


def test_search_message_parses_constraints(shop):
    rec, _ = shop
    parsed, got = rec.search_message("waterproof jacket under $80 in M, not black")
    assert parsed.filters.max_price == Decimal("80.00") and parsed.filters.exclude_colors == ("black",)
    assert got and got[0].sku == "JK-STM-SHL"
    parsed, got = rec.search_message("jacket for $-5")
    assert parsed.notes and parsed.filters.max_price is None and got
    parsed, got = rec.search_message(" ".join(["not red"] * 500) + " jacket under $1")
    assert parsed.notes and parsed.filters.exclude_colors == ("red",)  # read the first 500 chars only


def test_empty_catalog_gives_empty_results(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    Base.metadata.create_all(engine)
    sf = make_sessionmaker(engine)
    build_index(sf, tmp_path / "idx")
    rec = Recommender(load_index(tmp_path / "idx", sf), sf)
    assert rec.search("jacket", 5) == [] and rec.popular(5) == [] and rec.personal_picks(1, 5) == []
    assert rec.similar_to(1) is None


@pytest.mark.parametrize(
    "message, text, expected",
    [
        (
            "waterproof jacket under $80 in M, not black",
            "waterproof jacket",
            dict(max_price=Decimal("80.00"), size="M", exclude_colors=("black",)),
        ),
        ("shoes between 20 and 50", "shoes", dict(min_price=Decimal("20.00"), max_price=Decimal("50.00"))),
        ("socks less than 50 dollars", "socks", dict(max_price=Decimal("50.00"))),
        ("a red hat over $15", "a hat", dict(min_price=Decimal("15.00"), color="red")),
        ("tee in size XL not red or blue", "tee", dict(size="XL", exclude_colors=("red", "blue"))),
        ("fleece in medium", "fleece", dict(size="M")),
        ("backpack $50-$20", "backpack", dict(min_price=Decimal("20.00"), max_price=Decimal("50.00"))),
        ("jacket for $-5", "jacket for", dict()),
        ("gloves under 1e999", "gloves under 1e999", dict()),
        ("", "", dict()),
    ],
)
def test_constraint_parser(message, text, expected):
    parsed = parse_query(message)
    assert parsed.text == text
    assert parsed.filters == Filters(**expected)


def test_parser_bounds_huge_messages():
    parsed = parse_query(" ".join(f"not {c}" for c in ["red", "blue", "green", "pink"] * 125) + " under $5")
    assert len(parsed.filters.exclude_colors) <= 8 and parsed.notes
    assert parse_query("under $5 under $9").filters.max_price == Decimal("5.00")
    assert parse_query("something cheaper").cheaper
