"""Size entities from the spaCy ruler or DIET ("size m", "in medium") become catalog sizes."""

from __future__ import annotations

import pytest

from shop.catalog_query import canonical_size


@pytest.mark.parametrize(
    ("raw", "size"),
    [
        ("M", "M"),
        ("m", "M"),
        ("size m", "M"),
        ("Size  XL", "XL"),
        ("in medium", "M"),
        ("in a large", "L"),
        ("extra large", "XL"),
        ("x-large", "XL"),
        ("size 10", "10"),
        ("9.5", "9.5"),
    ],
)
def test_sizes_are_normalised(raw: str, size: str) -> None:
    assert canonical_size(raw) == size


@pytest.mark.parametrize("raw", [None, "", "   ", "size", "in size"])
def test_no_size_in_the_words(raw: str | None) -> None:
    assert canonical_size(raw) is None
