"""What a catalog file becomes and what an import reports: products, row errors, counts.

A variant is :class:`shop.catalog.VariantStock` (sku, size, colour, stock; no id until it is
stored), the same value the chat and the storefront read back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from shop.catalog import VariantStock

__all__ = [
    "CatalogConflictError",
    "CatalogFileError",
    "ImportCounts",
    "ProductIn",
    "RowError",
    "Tally",
    "VariantStock",
]


class CatalogFileError(Exception):
    """The file as a whole can't be read (encoding, empty, header, JSON syntax)."""


class CatalogConflictError(Exception):
    """The file is valid but clashes with the database (a variant sku owned by another product)."""


@dataclass(frozen=True)
class RowError:
    """One problem with one field of one row, printed as ``line 7: price: reason``."""

    where: str  # "line 7" or "item 3"
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.field}: {self.reason}"


@dataclass
class ProductIn:
    """A validated product from the file, with its variants, ready to upsert by sku."""

    sku: str
    name: str
    brand: str
    category: str
    price: Decimal
    description: str
    materials: str
    image_url: str | None
    variants: list[VariantStock] = field(default_factory=list)
    #: The Chinese display name: None when the file has no such column or key (the stored
    #: one is kept), "" when it is blank (cleared), else the name.
    name_zh: str | None = None


@dataclass
class Tally:
    """How many rows of one kind an import created, updated or found unchanged."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def record(self, *, created: bool, changed: bool) -> None:
        """Count one row: new, existing and changed, or existing as it was."""
        if created:
            self.created += 1
        elif changed:
            self.updated += 1
        else:
            self.unchanged += 1

    def describe(self, noun: str) -> str:
        """``3 products (1 created, 2 updated, 0 unchanged)``."""
        total = self.created + self.updated + self.unchanged
        return f"{total} {noun} ({self.created} created, {self.updated} updated, {self.unchanged} unchanged)"


@dataclass
class ImportCounts:
    """What an import did (or, in a dry run, would do), for the summary line."""

    products: Tally = field(default_factory=Tally)
    variants: Tally = field(default_factory=Tally)
    categories_created: int = 0

    def summary(self) -> str:
        """One line: products, variants and new categories, as the CLI prints it."""
        return (
            f"{self.products.describe('products')}, {self.variants.describe('variants')}, "
            f"{self.categories_created} new categories"
        )
