"""Load a merchant's catalog: ``python -m shop.catalog_import FILE [--url DB] [--dry-run]``.

The file (CSV, one row per variant, or JSON, a list of products with ``variants``) is
validated in full before anything is written, so a file with a bad row changes nothing
and every bad row is reported at once (``line N: field: reason`` / ``item N: ...``).
A valid file is upserted by sku in one transaction. Format: docs/catalog-import.md.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from shop.db import models as m

CENT = Decimal("0.01")
MAX_PRICE = Decimal("10") ** 10  # Numeric(12, 2)
SKU_RE = re.compile(r"[A-Z0-9-]{3,40}")
VARIANT_SKU_MAX = 60

CSV_COLUMNS = (
    "sku",
    "name",
    "brand",
    "category",
    "price",
    "description",
    "materials",
    "size",
    "color",
    "stock",
    "image_url",
)
CSV_REQUIRED = ("sku", "name", "brand", "category", "price", "stock")
PRODUCT_FIELDS = ("sku", "name", "brand", "category", "price", "description", "materials", "image_url")
VARIANT_FIELDS = ("size", "color", "stock")
#: Max length of text fields (the model's column sizes); ``None``: no limit.
TEXT_LIMITS: dict[str, int | None] = {
    "name": 200,
    "brand": 100,
    "category": 100,
    "description": None,
    "materials": 300,
    "image_url": 300,
    "size": 20,
    "color": 40,
}
REQUIRED_TEXT = ("name", "brand", "category")


class CatalogFileError(Exception):
    """The file as a whole can't be read (encoding, empty, header, JSON syntax)."""


class CatalogConflictError(Exception):
    """The file is valid but clashes with the database (a variant sku owned by another product)."""


@dataclass(frozen=True)
class RowError:
    where: str  # "line 7" or "item 3"
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.field}: {self.reason}"


@dataclass(frozen=True)
class VariantIn:
    sku: str
    size: str | None
    color: str | None
    stock: int


@dataclass
class ProductIn:
    sku: str
    name: str
    brand: str
    category: str
    price: Decimal
    description: str
    materials: str
    image_url: str | None
    variants: list[VariantIn] = field(default_factory=list)


@dataclass
class ImportCounts:
    products_created: int = 0
    products_updated: int = 0
    products_unchanged: int = 0
    variants_created: int = 0
    variants_updated: int = 0
    variants_unchanged: int = 0
    categories_created: int = 0

    def summary(self) -> str:
        products = self.products_created + self.products_updated + self.products_unchanged
        variants = self.variants_created + self.variants_updated + self.variants_unchanged
        return (
            f"{products} products ({self.products_created} created, {self.products_updated} updated, "
            f"{self.products_unchanged} unchanged), {variants} variants ({self.variants_created} created, "
            f"{self.variants_updated} updated, {self.variants_unchanged} unchanged), "
            f"{self.categories_created} new categories"
        )


# ---- field validation ---------------------------------------------------------------


class _Invalid(Exception):
    pass


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
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _Invalid("required")
    if not isinstance(value, str):
        raise _Invalid("must be a string")
    sku = value.strip().upper()
    if not SKU_RE.fullmatch(sku):
        raise _Invalid(f"{value.strip()!r} is not 3-40 characters of A-Z, 0-9 and '-'")
    return sku


def _price(value: Any) -> Decimal:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _Invalid("required")
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise _Invalid("must be a number")
    text = str(value).strip()
    try:
        price = Decimal(text)
    except InvalidOperation:
        raise _Invalid(f"{text!r} is not a number") from None
    if not price.is_finite():
        raise _Invalid(f"{text!r} is not a number")
    if price <= 0:
        raise _Invalid(f"{text} must be positive")
    if price.as_tuple().exponent < -2:  # type: ignore[operator]
        raise _Invalid(f"{text} has more than 2 decimals")
    if price >= MAX_PRICE:
        raise _Invalid(f"{text} is too large")
    return price.quantize(CENT)


def _stock(value: Any) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
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


def _clean(
    raw: Mapping[str, Any], names: Iterable[str], where: str, errors: list[RowError]
) -> dict[str, Any]:
    """Validated values of ``names``; a bad field is reported and left out of the result."""
    out: dict[str, Any] = {}
    for name in names:
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


class _Builder:
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
            if len(values) < len(PRODUCT_FIELDS):
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
            )
            self.origin[sku] = where
            return self.products[sku]
        first = self.origin[sku]
        consistent = True
        for name in PRODUCT_FIELDS[1:]:
            if name not in values:
                continue
            new = values[name] or None if name == "image_url" else values[name]
            if getattr(existing, name) != new:
                consistent = False
                self.errors.append(
                    RowError(where, name, f"differs from {first} for sku {sku} ({getattr(existing, name)!r})")
                )
        return existing if consistent else None

    def variant(self, product: ProductIn, values: dict[str, Any], where: str) -> None:
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
        product.variants.append(VariantIn(vsku, size, color, values["stock"]))


# ---- parsing ------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """UTF-8 text (a BOM is allowed); anything else is a file error with the offending offset."""
    if not data.strip():
        raise CatalogFileError("file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CatalogFileError(
            f"not UTF-8: byte 0x{data[exc.start]:02x} on line {line}; save the file as UTF-8"
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise CatalogFileError(
            f"NUL byte on line {line}: not a text file (UTF-16 perhaps?); save it as UTF-8"
        )
    return text


def parse_csv(text: str) -> tuple[list[ProductIn], list[RowError]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise CatalogFileError("file is empty") from None
    columns = [c.strip().lower() for c in header]
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    missing = [c for c in CSV_REQUIRED if c not in columns]
    if unknown or missing:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s) {', '.join(unknown)}")
        raise CatalogFileError(f"line 1: header: {'; '.join(parts)} (expected {','.join(CSV_COLUMNS)})")
    errors: list[RowError] = []
    builder = _Builder(errors)
    end = reader.line_num
    rows = 0
    try:
        for record in reader:
            start, end = end + 1, reader.line_num
            if not record or all(not cell.strip() for cell in record):
                continue
            rows += 1
            where = f"line {start}"
            if len(record) != len(columns):
                errors.append(RowError(where, "row", f"{len(record)} fields, header has {len(columns)}"))
                continue
            raw = dict(zip(columns, record, strict=True))
            values = _clean(raw, PRODUCT_FIELDS, where, errors)
            variant = _clean(raw, VARIANT_FIELDS, where, errors)
            product = builder.product(values, where, merge=True)
            if product is not None:
                builder.variant(product, variant, where)
    except csv.Error as exc:
        raise CatalogFileError(f"line {reader.line_num}: not valid CSV: {exc}") from None
    if rows == 0:
        raise CatalogFileError("no rows after the header")
    return list(builder.products.values()), errors


def parse_json(text: str) -> tuple[list[ProductIn], list[RowError]]:
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise CatalogFileError(f"line {exc.lineno}: not valid JSON: {exc.msg}") from None
    if isinstance(data, dict) and isinstance(data.get("products"), list):
        data = data["products"]
    if not isinstance(data, list):
        raise CatalogFileError('JSON must be a list of products (or {"products": [...]})')
    if not data:
        raise CatalogFileError("no products in the file")
    errors: list[RowError] = []
    builder = _Builder(errors)
    allowed = {*PRODUCT_FIELDS, "variants"}
    for n, item in enumerate(data, start=1):
        where = f"item {n}"
        if not isinstance(item, dict):
            errors.append(RowError(where, "item", "must be an object"))
            continue
        for key in sorted(set(item) - allowed):
            errors.append(RowError(where, key, "unknown field"))
        values = _clean(item, PRODUCT_FIELDS, where, errors)
        product = builder.product(values, where, merge=False)
        variants = item.get("variants")
        if not isinstance(variants, list) or not variants:
            errors.append(RowError(where, "variants", "a non-empty list is required"))
            if product is not None:
                del builder.products[product.sku]  # a product without variants is not imported
            continue
        for i, raw in enumerate(variants, start=1):
            vwhere = f"{where} variant {i}"
            if not isinstance(raw, dict):
                errors.append(RowError(vwhere, "variant", "must be an object"))
                continue
            for key in sorted(set(raw) - set(VARIANT_FIELDS)):
                errors.append(RowError(vwhere, key, "unknown field"))
            variant = _clean(raw, VARIANT_FIELDS, vwhere, errors)
            if product is not None:
                builder.variant(product, variant, vwhere)
    return list(builder.products.values()), errors


def read_catalog(path: Path) -> tuple[list[ProductIn], list[RowError]]:
    """Products and every row error; raises CatalogFileError if the file can't be read at all."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CatalogFileError(f"can't read {path}: {exc.strerror}") from None
    text = decode(data)
    suffix = path.suffix.lower()
    if suffix == ".json" or (suffix != ".csv" and text.lstrip().startswith(("[", "{"))):
        return parse_json(text)
    return parse_csv(text)


# ---- writing ------------------------------------------------------------------------


def _chunks(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(CENT)


def _upsert(session: Session, products: list[ProductIn]) -> ImportCounts:
    counts = ImportCounts()
    skus = [p.sku for p in products]
    existing: dict[str, Any] = {}
    for chunk in _chunks(skus):
        query = select(m.Product).where(m.Product.sku.in_(chunk)).options(selectinload(m.Product.variants))
        existing.update({p.sku: p for p in session.scalars(query)})
    vskus = [v.sku for p in products for v in p.variants]
    variants: dict[str, Any] = {}
    for chunk in _chunks(vskus):
        variants.update(
            {
                v.sku: v
                for v in session.scalars(select(m.ProductVariant).where(m.ProductVariant.sku.in_(chunk)))
            }
        )
    names = sorted({p.category for p in products})
    categories = {c.name: c for c in session.scalars(select(m.Category).where(m.Category.name.in_(names)))}
    for name in names:
        if name not in categories:
            categories[name] = m.Category(name=name)
            session.add(categories[name])
            counts.categories_created += 1
    session.flush()

    for item in products:
        row = existing.get(item.sku)
        created = row is None
        if row is None:
            row = m.Product(sku=item.sku, stock=0)
            session.add(row)
        fields = {
            "name": item.name,
            "brand": item.brand,
            "category": item.category,
            "category_id": categories[item.category].id,
            "description": item.description,
            "materials": item.materials,
            "image_url": item.image_url,
        }
        changed = _money(row.price) != item.price
        row.price = item.price
        for name, value in fields.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
                changed = True
        for v in item.variants:
            variant = variants.get(v.sku)
            if variant is None:
                row.variants.append(m.ProductVariant(sku=v.sku, size=v.size, color=v.color, stock=v.stock))
                counts.variants_created += 1
                continue
            if variant.product is not row:
                raise CatalogConflictError(
                    f"variant sku {v.sku} of {item.sku} already belongs to product {variant.product.sku}"
                )
            if (variant.size, variant.color, variant.stock) == (v.size, v.color, v.stock):
                counts.variants_unchanged += 1
            else:
                variant.size, variant.color, variant.stock = v.size, v.color, v.stock
                counts.variants_updated += 1
        # variants missing from the file are kept (orders refer to them) and still count
        stock = sum(v.stock for v in row.variants)
        if row.stock != stock:
            row.stock = stock
            changed = True
        if created:
            counts.products_created += 1
        elif changed:
            counts.products_updated += 1
        else:
            counts.products_unchanged += 1
    session.flush()
    return counts


def import_catalog(
    sessions: sessionmaker, products: list[ProductIn], *, dry_run: bool = False
) -> ImportCounts:
    """Upsert validated products in one transaction; ``dry_run`` rolls it back."""
    with sessions() as session:
        counts = _upsert(session, products)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shop.catalog_import",
        description="Validate a catalog file (CSV or JSON) and upsert it into the shop database.",
    )
    parser.add_argument("file", type=Path, help="catalog .csv (one row per variant) or .json")
    parser.add_argument("--url", help="database URL (default: SHOP_DB_URL or var/shop.db)")
    parser.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")
    args = parser.parse_args(argv)

    try:
        products, errors = read_catalog(args.file)
    except CatalogFileError as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return 1
    if errors:
        for error in errors:
            print(error, file=sys.stderr)
        print(f"{args.file}: {len(errors)} problem(s); nothing written", file=sys.stderr)
        return 1

    from shop.db.session import make_engine, make_sessionmaker

    # SQLite stores Numeric as float; prices are quantized to cents, so the warning is noise here
    warnings.filterwarnings("ignore", r"Dialect sqlite\+pysqlite does \*not\* support Decimal")
    engine = make_engine(args.url)
    try:
        counts = import_catalog(make_sessionmaker(engine), products, dry_run=args.dry_run)
    except CatalogConflictError as exc:
        print(f"{args.file}: {exc}; nothing written", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(
            f"database error, nothing written (is it migrated? python -m shop.db.migrate): {exc}",
            file=sys.stderr,
        )
        return 1
    finally:
        engine.dispose()
    prefix = "dry run, nothing written: would import" if args.dry_run else "imported"
    print(f"{prefix} {counts.summary()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
