"""Load a merchant's catalog: ``python -m shop.catalog_import FILE [--url DB] [--dry-run]``.

The file (CSV, one row per variant, or JSON, a list of products with ``variants``) is
validated in full before anything is written, so a file with a bad row changes nothing
and every bad row is reported at once (``line N: field: reason`` / ``item N: ...``).
A valid file is upserted by sku in one transaction. Format: docs/catalog-import.md.

One job per module, imported in this order (each only from the ones before it):
``records`` (what a file becomes, errors and counts), ``validate`` (field and cross-row
rules), ``parse`` (bytes -> CSV or JSON -> products), ``upsert`` (the database), ``cli``.
"""

from shop.catalog_import.cli import main
from shop.catalog_import.parse import CSV_COLUMNS, CSV_REQUIRED, decode, parse_csv, parse_json, read_catalog
from shop.catalog_import.records import (
    CatalogConflictError,
    CatalogFileError,
    ImportCounts,
    ProductIn,
    RowError,
    Tally,
    VariantStock,
)
from shop.catalog_import.upsert import import_catalog, upsert
from shop.catalog_import.validate import PRODUCT_FIELDS, VARIANT_FIELDS, variant_sku

__all__ = [
    "CSV_COLUMNS",
    "CSV_REQUIRED",
    "PRODUCT_FIELDS",
    "VARIANT_FIELDS",
    "CatalogConflictError",
    "CatalogFileError",
    "ImportCounts",
    "ProductIn",
    "RowError",
    "Tally",
    "VariantStock",
    "decode",
    "import_catalog",
    "main",
    "parse_csv",
    "parse_json",
    "read_catalog",
    "upsert",
    "variant_sku",
]
