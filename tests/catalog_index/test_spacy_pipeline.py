"""The spaCy catalog pipeline: entity ruler built from the catalog, rebuilt only on change."""

from __future__ import annotations

import pytest
import spacy

from catalog_index.spacy_pipeline import build_pipeline
from shop.db.models import ProductVariant
from tests.support.small_catalog import make_small_catalog


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("spacy")
    sf, ids = make_small_catalog(f"sqlite:///{root / 'shop.db'}", with_orders=False)
    result = build_pipeline(sf, root / "nlp")
    return sf, ids, root / "nlp", result


def ents(nlp, text):
    return {(e.text.lower(), e.label_, e.ent_id_) for e in nlp(text).ents}


def test_saved_pipeline_tags_products_brands_categories_colours_and_sizes(built):
    _sf, _ids, folder, result = built
    assert result.built and result.patterns > 30
    nlp = spacy.load(folder)
    found = ents(nlp, "Is the nimbus running shoe in stock in M in black? Any Peakline jackets in size xl?")
    assert ("nimbus running shoe", "product", "SH-NIM-RUN") in found
    assert ("m", "size", "M") in found
    assert ("black", "color", "black") in found
    assert ("peakline", "brand", "Peakline") in found
    assert ("jackets", "category", "Jackets") in found


def test_lowercase_single_letters_are_not_sizes(built):
    nlp = spacy.load(built[2])
    assert not [e for e in nlp("i'm looking for a gift, it's for m dad").ents if e.label_ == "size"]


def test_pipeline_is_rebuilt_only_when_the_catalog_vocabulary_changes(built):
    sf, ids, folder, _ = built
    assert not build_pipeline(sf, folder).built
    with sf.begin() as s:
        s.add(ProductVariant(product_id=ids["YG-MAT-PRO"], sku="YG-MAT-PRO-teal", color="teal", stock=1))
    assert build_pipeline(sf, folder).built
    assert ("teal", "color", "teal") in ents(spacy.load(folder), "a teal yoga mat")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("do you have it in size 42", {("size 42", "42")}),
        ("the running shoe in 43 please", {("in 43", "43")}),
        ("add 42 pairs to my cart", set()),
        ("use code save 43", set()),
        ("they're too small", set()),
        ("the jacket in small", {("in small", "S")}),
        ("size medium please", {("size medium", "M")}),
    ],
)
def test_numbers_and_size_words_are_sizes_only_after_size_or_in(built, text, expected):
    nlp = spacy.load(built[2])
    assert {(e.text.lower(), e.ent_id_) for e in nlp(text).ents if e.label_ == "size"} == expected
