"""Writing a validated catalog: upsert by sku in one transaction, counting what changed.

Products and variants are matched by sku; fields from the file overwrite the stored ones
(an optional ``name_zh`` the file does not have at all is kept).
Variants missing from the file are kept (past orders refer to them) and still count
towards ``products.stock``. A category the file names that does not exist yet is created.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from shop.catalog_import.records import CatalogConflictError, ImportCounts, ProductIn
from shop.db import models as m
from shop.money import quantize

__all__ = ["import_catalog", "upsert"]


def _chunks(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _by_sku(session: Session, model: Any, skus: list[str], *options: Any) -> dict[str, Any]:
    """Stored rows of ``model`` whose sku is in ``skus``, by sku (queried in chunks)."""
    found: dict[str, Any] = {}
    for chunk in _chunks(skus):
        query = select(model).where(model.sku.in_(chunk)).options(*options)
        found.update({row.sku: row for row in session.scalars(query)})
    return found


def _categories(session: Session, products: list[ProductIn], counts: ImportCounts) -> dict[str, Any]:
    names = sorted({p.category for p in products})
    categories = {c.name: c for c in session.scalars(select(m.Category).where(m.Category.name.in_(names)))}
    for name in names:
        if name not in categories:
            categories[name] = m.Category(name=name)
            session.add(categories[name])
            counts.categories_created += 1
    session.flush()
    return categories


def _upsert_variants(item: ProductIn, row: Any, stored: dict[str, Any], counts: ImportCounts) -> None:
    for v in item.variants:
        variant = stored.get(v.sku)
        if variant is None:
            row.variants.append(m.ProductVariant(sku=v.sku, size=v.size, color=v.color, stock=v.stock))
            counts.variants.record(created=True, changed=True)
            continue
        if variant.product is not row:
            raise CatalogConflictError(
                f"variant sku {v.sku} of {item.sku} already belongs to product {variant.product.sku}"
            )
        changed = (variant.size, variant.color, variant.stock) != (v.size, v.color, v.stock)
        if changed:
            variant.size, variant.color, variant.stock = v.size, v.color, v.stock
        counts.variants.record(created=False, changed=changed)


def upsert(session: Session, products: list[ProductIn]) -> ImportCounts:
    """Create or update ``products`` and their variants in ``session`` (flushed, not committed)."""
    counts = ImportCounts()
    existing = _by_sku(session, m.Product, [p.sku for p in products], selectinload(m.Product.variants))
    variants = _by_sku(session, m.ProductVariant, [v.sku for p in products for v in p.variants])
    categories = _categories(session, products, counts)
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
        if item.name_zh is not None:  # no name_zh column or key: the stored one is kept
            fields["name_zh"] = item.name_zh or None
        changed = (None if row.price is None else quantize(row.price)) != item.price
        row.price = item.price
        for name, value in fields.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
                changed = True
        _upsert_variants(item, row, variants, counts)
        # variants missing from the file are kept (orders refer to them) and still count
        stock = sum(v.stock for v in row.variants)
        if row.stock != stock:
            row.stock = stock
            changed = True
        counts.products.record(created=created, changed=changed)
    session.flush()
    return counts


def import_catalog(
    sessions: sessionmaker, products: list[ProductIn], *, dry_run: bool = False
) -> ImportCounts:
    """Upsert validated products in one transaction; ``dry_run`` rolls it back."""
    with sessions() as session:
        counts = upsert(session, products)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    return counts
