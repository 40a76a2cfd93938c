"""What the storefront reads from the order database: catalog pages and demo customers.

Blocking SQLAlchemy calls, one session per call; views run them off the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import sessionmaker

from shop.db.models import Customer, Product, ProductVariant
from shop.seed.demo import DEMO_CUSTOMERS

PER_PAGE = 24
MAX_QUERY_CHARS = 100
#: Largest id the databases store (64-bit signed); larger numbers are refused before SQL.
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class ProductCard:
    id: int
    sku: str
    name: str
    brand: str
    category: str
    price: Decimal
    stock: int


@dataclass(frozen=True)
class Variant:
    id: int
    sku: str
    size: str | None
    color: str | None
    stock: int


@dataclass(frozen=True)
class ProductPage:
    card: ProductCard
    description: str
    materials: str
    rating: Decimal | None
    variants: tuple[Variant, ...]

    @property
    def sizes(self) -> list[str]:
        return list(dict.fromkeys(v.size for v in self.variants if v.size))

    @property
    def colors(self) -> list[str]:
        return list(dict.fromkeys(v.color for v in self.variants if v.color))

    @property
    def stock(self) -> int:
        return sum(v.stock for v in self.variants) if self.variants else self.card.stock


@dataclass(frozen=True)
class Page:
    products: list[ProductCard]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class Shopper:
    """A customer as the storefront shows them (the email is never put into a page)."""

    id: int
    name: str
    email: str


DemoCustomer = Shopper


def _card(p: Product) -> ProductCard:
    return ProductCard(
        p.id, p.sku, p.name, p.brand, p.category, Decimal(p.price).quantize(Decimal("0.01")), p.stock
    )


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class Store:
    def __init__(self, sessions: sessionmaker) -> None:
        self._sessions = sessions

    def categories(self) -> list[str]:
        with self._sessions() as s:
            return list(s.scalars(select(Product.category).distinct().order_by(Product.category)))

    def products(self, category: str | None = None, query: str | None = None, page: int = 1) -> Page:
        """One page of the grid, filtered by category and a name/brand search."""
        stmt = select(Product)
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
            rows = s.scalars(stmt.order_by(Product.id).offset((page - 1) * PER_PAGE).limit(PER_PAGE))
            return Page([_card(p) for p in rows], total, page, pages)

    def product(self, sku: str) -> ProductPage | None:
        with self._sessions() as s:
            p = s.scalars(select(Product).where(Product.sku == sku)).first()
            if p is None:
                return None
            variants = s.scalars(
                select(ProductVariant).where(ProductVariant.product_id == p.id).order_by(ProductVariant.id)
            )
            return ProductPage(
                card=_card(p),
                description=p.description or "",
                materials=p.materials or "",
                rating=p.rating,
                variants=tuple(Variant(v.id, v.sku, v.size, v.color, v.stock) for v in variants),
            )

    def product_name(self, sku: str) -> str | None:
        with self._sessions() as s:
            return s.scalar(select(Product.name).where(Product.sku == sku))

    def customer(self, customer_id: int) -> Shopper | None:
        """The customer with this id, if one exists (a signed cookie may outlive its customer)."""
        if not 0 < customer_id <= MAX_ID:
            return None
        with self._sessions() as s:
            row = s.execute(
                select(Customer.id, Customer.name, Customer.email).where(Customer.id == customer_id)
            ).first()
        return None if row is None else Shopper(row[0], row[1], row[2])

    def demo_customers(self) -> list[DemoCustomer]:
        """The seeded demo shoppers, in the seed's order, that exist in this database."""
        with self._sessions() as s:
            rows = s.execute(
                select(Customer.id, Customer.name, Customer.email).where(
                    Customer.email.in_(list(DEMO_CUSTOMERS))
                )
            ).all()
        by_email = {email: DemoCustomer(cid, name, email) for cid, name, email in rows}
        return [by_email[e] for e in DEMO_CUSTOMERS if e in by_email]
