"""Reading a catalog file: UTF-8 text, then CSV (one row per variant) or JSON (products with variants).

Whole-file problems (encoding, empty, header, JSON syntax) raise
:class:`~shop.catalog_import.records.CatalogFileError`; a bad row is one more
:class:`~shop.catalog_import.records.RowError` next to the products that did validate.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from shop.catalog_import.records import CatalogFileError, ProductIn, RowError
from shop.catalog_import.validate import PRODUCT_FIELDS, VARIANT_FIELDS, RowAssembler, clean

__all__ = ["CSV_COLUMNS", "CSV_REQUIRED", "decode", "parse_csv", "parse_json", "read_catalog"]

#: A file's columns, every field a product or variant has, in the order the docs show them
#: (a product's fields, its variant's where a row's variant begins, then the optional extras).
CSV_COLUMNS = (*PRODUCT_FIELDS[:7], *VARIANT_FIELDS, *PRODUCT_FIELDS[7:])
CSV_REQUIRED = ("sku", "name", "brand", "category", "price", "stock")

Parsed = tuple[list[ProductIn], list[RowError]]


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


def _header(reader: Iterator[list[str]]) -> list[str]:
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
    return columns


def parse_csv(text: str) -> Parsed:
    """Products from CSV text; rows sharing a sku are one product whose fields must agree."""
    reader = csv.reader(io.StringIO(text, newline=""))
    columns = _header(reader)
    errors: list[RowError] = []
    assembler = RowAssembler(errors)
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
            values = clean(raw, PRODUCT_FIELDS, where, errors)
            variant = clean(raw, VARIANT_FIELDS, where, errors)
            product = assembler.product(values, where, merge=True)
            if product is not None:
                assembler.variant(product, variant, where)
    except csv.Error as exc:
        raise CatalogFileError(f"line {reader.line_num}: not valid CSV: {exc}") from None
    if rows == 0:
        raise CatalogFileError("no rows after the header")
    return list(assembler.products.values()), errors


def _json_items(text: str) -> list[object]:
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
    return data


def _unknown_keys(item: dict[str, object], allowed: set[str], where: str, errors: list[RowError]) -> None:
    for key in sorted(set(item) - allowed):
        errors.append(RowError(where, key, "unknown field"))


def parse_json(text: str) -> Parsed:
    """Products from JSON text: a list (or ``{"products": [...]}``) of products with variants."""
    errors: list[RowError] = []
    assembler = RowAssembler(errors)
    for n, item in enumerate(_json_items(text), start=1):
        where = f"item {n}"
        if not isinstance(item, dict):
            errors.append(RowError(where, "item", "must be an object"))
            continue
        _unknown_keys(item, {*PRODUCT_FIELDS, "variants"}, where, errors)
        values = clean(item, PRODUCT_FIELDS, where, errors)
        product = assembler.product(values, where, merge=False)
        variants = item.get("variants")
        if not isinstance(variants, list) or not variants:
            errors.append(RowError(where, "variants", "a non-empty list is required"))
            if product is not None:
                assembler.drop(product.sku)  # a product without variants is not imported
            continue
        for i, raw in enumerate(variants, start=1):
            vwhere = f"{where} variant {i}"
            if not isinstance(raw, dict):
                errors.append(RowError(vwhere, "variant", "must be an object"))
                continue
            _unknown_keys(raw, set(VARIANT_FIELDS), vwhere, errors)
            variant = clean(raw, VARIANT_FIELDS, vwhere, errors)
            if product is not None:
                assembler.variant(product, variant, vwhere)
    return list(assembler.products.values()), errors


def read_catalog(path: Path) -> Parsed:
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
