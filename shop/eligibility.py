"""Which products may be recommended: in stock and within the shopper's filters, chosen in SQL.

A product qualifies when one of its variants has stock and matches the asked size/colour (and
none of the excluded colours); a product without variants needs product stock and no
size/colour asked. Price bounds and the category (with its plural/singular and every
sub-category) are checked on the product. The recommender ranks only what this returns.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import and_, exists, func, not_, or_, select
from sqlalchemy.orm import sessionmaker

from shop.catalog_query import Filters
from shop.db.models import Category, Product, ProductVariant

__all__ = ["category_names", "eligible_ids", "vocabulary"]


def _like(value: str) -> str:
    return "%" + value.lower().replace("\\", "").replace("%", "").replace("_", "") + "%"


def _singular(name: str) -> str:
    return name.strip().lower().rstrip("s")


def category_names(session_factory: sessionmaker, wanted: str) -> list[str]:
    """Category names matching ``wanted``, its plural/singular, and their sub-categories."""
    norm = _singular(wanted)
    with session_factory() as s:
        names = [c for (c,) in s.execute(select(Product.category).distinct())]
        cats = s.execute(select(Category.id, Category.name, Category.parent_id)).all()
    hits = {n for n in names if n and _singular(n) == norm}
    children: dict[int | None, list[int]] = defaultdict(list)
    for c in cats:
        children[c.parent_id].append(c.id)
    by_id = {c.id: c.name for c in cats}
    stack = [c.id for c in cats if _singular(c.name) == norm]
    while stack:
        cid = stack.pop()
        hits.add(by_id[cid])
        stack.extend(children.get(cid, []))
    return sorted(hits)


def eligible_ids(session_factory: sessionmaker, filters: Filters | None = None) -> set[int]:
    """Products that may be recommended under ``filters`` (always in stock)."""
    f = filters or Filters()
    v = ProductVariant
    vconds = [v.product_id == Product.id, v.stock > 0]
    if f.size:
        vconds.append(func.lower(v.size) == f.size.strip().lower())
    if f.color:
        vconds.append(func.lower(v.color).like(_like(f.color)))
    for c in f.exclude_colors:
        vconds.append(or_(v.color.is_(None), not_(func.lower(v.color).like(_like(c)))))
    matching_variant = exists().where(and_(*vconds))
    any_variant = exists().where(v.product_id == Product.id)
    no_variant_ok = and_(~any_variant, Product.stock > 0)
    stock_ok = matching_variant if (f.size or f.color) else or_(matching_variant, no_variant_ok)
    conds = [stock_ok]
    if f.min_price is not None:
        conds.append(Product.price >= f.min_price)
    if f.max_price is not None:
        conds.append(Product.price <= f.max_price)
    if f.category:
        names = category_names(session_factory, f.category)
        if not names:
            return set()
        conds.append(Product.category.in_(names))
    with session_factory() as s:
        return {pid for (pid,) in s.execute(select(Product.id).where(and_(*conds)))}


def vocabulary(session_factory: sessionmaker) -> tuple[list[str], list[str]]:
    """Colours and categories of the catalog, for :func:`shop.catalog_query.parse_query`."""
    with session_factory() as s:
        colors = sorted({c for (c,) in s.execute(select(ProductVariant.color).distinct()) if c})
        cats = sorted({c for (c,) in s.execute(select(Product.category).distinct()) if c})
    return colors, cats
