"""The import's rules: each field on its own, then across rows (one product, unique variants).

Every problem becomes a :class:`~shop.catalog_import.records.RowError` and validation goes
on, so a file's every bad row is reported at once; nothing here touches the database.
Prices go through :mod:`shop.money` (at most the currency's decimals, quantized half up).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from shop.catalog_import.records import ProductIn, RowError, VariantStock
from shop.money import DEFAULT_CURRENCY, digits, quantize, to_decimal

__all__ = [
    "KEPT_WHEN_ABSENT",
    "MAX_PRICE",
    "PRODUCT_FIELDS",
    "REQUIRED_TEXT",
    "SKU_RE",
    "TEXT_LIMITS",
    "VARIANT_FIELDS",
    "VARIANT_SKU_MAX",
    "RowAssembler",
    "clean",
    "variant_sku",
]

MAX_PRICE = Decimal("10") ** 10  # Numeric(12, 2)
SKU_RE = re.compile(r"[A-Z0-9-]{3,40}")
VARIANT_SKU_MAX = 60

PRODUCT_FIELDS = (
    "sku",
    "name",
    "brand",
    "category",
    "price",
    "description",
    "materials",
    "image_url",
    "name_zh",
)
#: Optional product fields a file may leave out altogether (no column, no key): the stored
#: value is kept then, while a blank value clears it. ``name_zh`` is the Chinese name.
KEPT_WHEN_ABSENT = ("name_zh",)
VARIANT_FIELDS = ("size", "color", "stock")
#: Max length of text fields (the model's column sizes); ``None``: no limit.
TEXT_LIMITS: dict[str, int | None] = {
    "name": 200,
    "name_zh": 200,
    "brand": 100,
    "category": 100,
    "description": None,
    "materials": 300,
    "image_url": 300,
    "size": 20,
    "color": 40,
}
REQUIRED_TEXT = ("name", "brand", "category")


class _Invalid(Exception):
    pass


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(name: str, value: Any) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _Invalid("must be a string")
    value = value.strip()
    if name in REQUIRED_TEXT and not value:
        raise _Invalid("required")
    limit = TEXT_LIMITS.get(name)
    if limit is not None and len(value) > limit:
        raise _Invalid(f"too long ({len(value)} characters, at most {limit})")
    return value


def _sku(value: Any) -> str:
    if _blank(value):
        raise _Invalid("required")
    if not isinstance(value, str):
        raise _Invalid("must be a string")
    sku = value.strip().upper()
    if not SKU_RE.fullmatch(sku):
        raise _Invalid(f"{value.strip()!r} is not 3-40 characters of A-Z, 0-9 and '-'")
    return sku


def _price(value: Any) -> Decimal:
    if _blank(value):
        raise _Invalid("required")
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise _Invalid("must be a number")
    text = str(value).strip()
    try:
        price = to_decimal(text)
    except (InvalidOperation, ValueError):  # not a number, or NaN / Infinity
        raise _Invalid(f"{text!r} is not a number") from None
    if price <= 0:
        raise _Invalid(f"{text} must be positive")
    places = digits(DEFAULT_CURRENCY)
    if int(price.as_tuple().exponent) < -places:
        raise _Invalid(f"{text} has more than {places} decimals")
    if price >= MAX_PRICE:
        raise _Invalid(f"{text} is too large")
    return quantize(price)


def _stock(value: Any) -> int:
    if _blank(value):
        raise _Invalid("required")
    if isinstance(value, int) and not isinstance(value, bool):
        stock = value
    elif isinstance(value, str) and value.strip().isdigit():
        stock = int(value.strip())
    else:
        raise _Invalid(f"{value!r} is not a non-negative integer")
    if stock < 0:
        raise _Invalid(f"{value!r} is not a non-negative integer")
    return stock


def _check(name: str, value: Any) -> Any:
    if name == "sku":
        return _sku(value)
    if name == "price":
        return _price(value)
    if name == "stock":
        return _stock(value)
    return _text(name, value)


def clean(raw: Mapping[str, Any], names: Iterable[str], where: str, errors: list[RowError]) -> dict[str, Any]:
    """Validated values of ``names``; a bad field is reported and left out of the result."""
    out: dict[str, Any] = {}
    for name in names:
        if name in KEPT_WHEN_ABSENT and name not in raw:
            continue
        try:
            out[name] = _check(name, raw.get(name))
        except _Invalid as exc:
            errors.append(RowError(where, name, str(exc)))
    return out


def _norm(part: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "-", part.upper()).strip("-")


def variant_sku(sku: str, size: str | None, color: str | None) -> str:
    """``<sku>-<size>-<color>`` upper-cased, other characters folded to '-'; ``<sku>-STD`` if neither."""
    parts = [_norm(p) for p in (size, color) if p]
    parts = [p for p in parts if p]
    return "-".join([sku, *parts]) if parts else f"{sku}-STD"


class RowAssembler:
    """Collects products and variants from validated rows, checking cross-row rules."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        self.products: dict[str, ProductIn] = {}
        self.first_seen: dict[str, str] = {}  # product sku -> where it first appeared
        self.origin: dict[str, str] = {}  # product sku -> the row its fields were taken from
        self.variant_seen: dict[str, str] = {}  # variant sku -> where

    def product(self, values: dict[str, Any], where: str, *, merge: bool) -> ProductIn | None:
        """The product for a row; ``merge`` (CSV) lets rows share a sku if their fields agree."""
        sku = values.get("sku")
        if sku is None:
            return None
        first = self.first_seen.setdefault(sku, where)
        if not merge and first != where:
            self.errors.append(RowError(where, "sku", f"{sku} already used by {first}"))
            return None
        existing = self.products.get(sku)
        if existing is None:
            if any(f not in values for f in PRODUCT_FIELDS if f not in KEPT_WHEN_ABSENT):
                return None  # a bad field already reported; nothing reliable to build on
            self.products[sku] = ProductIn(
                sku=sku,
                name=values["name"],
                brand=values["brand"],
                category=values["category"],
                price=values["price"],
                description=values["description"],
                materials=values["materials"],
                image_url=values["image_url"] or None,
                name_zh=values.get("name_zh"),
            )
            self.origin[sku] = where
            return self.products[sku]
        first = self.origin[sku]
        consistent = True
        for name in PRODUCT_FIELDS[1:]:
            if name not in values:
                continue  # reported already, or an optional column this row's file has not
            new = values[name] or None if name == "image_url" else values[name]
            if getattr(existing, name) != new:
                consistent = False
                self.errors.append(
                    RowError(where, name, f"differs from {first} for sku {sku} ({getattr(existing, name)!r})")
                )
        return existing if consistent else None

    def variant(self, product: ProductIn, values: dict[str, Any], where: str) -> None:
        """Add a row's variant to ``product`` unless its variant sku is too long or already taken."""
        if len(values) < len(VARIANT_FIELDS):
            return
        size, color = values["size"] or None, values["color"] or None
        vsku = variant_sku(product.sku, size, color)
        if len(vsku) > VARIANT_SKU_MAX:
            self.errors.append(RowError(where, "sku", f"variant sku {vsku} longer than {VARIANT_SKU_MAX}"))
            return
        if vsku in self.variant_seen:
            self.errors.append(
                RowError(where, "size/color", f"variant {vsku} already defined at {self.variant_seen[vsku]}")
            )
            return
        self.variant_seen[vsku] = where
        product.variants.append(VariantStock(vsku, size, color, values["stock"]))

    def drop(self, sku: str) -> None:
        """Forget a product that turned out to be unusable (a JSON item without variants)."""
        del self.products[sku]
