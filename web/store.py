"""What the storefront reads beyond shop's catalog: the browse grid and the shoppers.

Products themselves are shop's read model (grid cards: :func:`shop.catalog_rows.read_summaries`,
product pages: :class:`shop.catalog.CatalogService`), the one the chat uses: this module only
decides *which* products a grid page shows (category, search, page) and who is signed in.
Blocking SQLAlchemy calls, one session per call; views run them off the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import sessionmaker

from shop.catalog import CatalogService
from shop.catalog_rows import ProductSummary, read_summaries
from shop.db.models import Customer, Product
from shop.seed.demo import DEMO_CUSTOMERS

__all__ = ["MAX_ID", "PER_PAGE", "Page", "Shopper", "Store"]

PER_PAGE = 24
MAX_QUERY_CHARS = 100
#: Largest id the databases store (64-bit signed); larger numbers are refused before SQL.
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Page:
    """One page of the product grid: the products on it and where it sits among all pages."""

    products: list[ProductSummary]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class Shopper:
    """A customer as the storefront shows them (the email is never put into a page)."""

    id: int
    name: str
    email: str


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class Store:
    """The storefront's queries on one database; product facts through ``catalog``."""

    def __init__(self, sessions: sessionmaker, catalog: CatalogService) -> None:
        self._sessions = sessions
        self.catalog = catalog

    def categories(self) -> list[str]:
        """Every category in the catalog, sorted: the grid's category links."""
        with self._sessions() as s:
            return list(s.scalars(select(Product.category).distinct().order_by(Product.category)))

    def products(self, category: str | None = None, query: str | None = None, page: int = 1) -> Page:
        """One page of the grid, filtered by category and a name/brand/category search."""
        stmt = select(Product.id)
        if category:
            stmt = stmt.where(Product.category == category)
        query = (query or "").strip()[:MAX_QUERY_CHARS]
        if query:
            pattern = _like(query)
            stmt = stmt.where(
                or_(
                    Product.name.ilike(pattern, escape="\\"),
                    Product.brand.ilike(pattern, escape="\\"),
                    Product.category.ilike(pattern, escape="\\"),
                )
            )
        with self._sessions() as s:
            total = int(s.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
            pages = max(1, -(-total // PER_PAGE))
            page = min(max(1, page), pages)
            ids = list(s.scalars(stmt.order_by(Product.id).offset((page - 1) * PER_PAGE).limit(PER_PAGE)))
        found = read_summaries(self._sessions, ids)
        return Page([found[i] for i in ids if i in found], total, page, pages)

    def customer(self, customer_id: int) -> Shopper | None:
        """The customer with this id, if one exists (a signed cookie may outlive its customer)."""
        if not 0 < customer_id <= MAX_ID:
            return None
        with self._sessions() as s:
            row = s.execute(
                select(Customer.id, Customer.name, Customer.email).where(Customer.id == customer_id)
            ).first()
        return None if row is None else Shopper(row[0], row[1], row[2])

    def demo_customers(self) -> list[Shopper]:
        """The seeded demo shoppers, in the seed's order, that exist in this database."""
        with self._sessions() as s:
            rows = s.execute(
                select(Customer.id, Customer.name, Customer.email).where(
                    Customer.email.in_(list(DEMO_CUSTOMERS))
                )
            ).all()
        by_email = {email: Shopper(cid, name, email) for cid, name, email in rows}
        return [by_email[e] for e in DEMO_CUSTOMERS if e in by_email]
