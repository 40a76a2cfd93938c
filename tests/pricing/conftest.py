"""A tiny shop (categories, products, customers, orders) on the shared ``db`` fixtures.

The database fixtures come from ``tests/conftest.py`` (migrated SQLite and PostgreSQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from sqlalchemy.orm import sessionmaker

from shop.db.models import Category, Customer, Order, OrderItem, Product, ProductVariant
from shop.pricing import PricingSettings
from shop.pricing.service import PricingService

NOW = datetime(2024, 6, 1, 12, 0, 0)
SETTINGS = PricingSettings(shipping_fee=Decimal("5.99"), free_shipping_threshold=Decimal("75.00"))
_numbers = count(200000)


@dataclass
class MiniShop:
    sessions: sessionmaker
    service: PricingService
    tent: int
    socks: int
    socks_m: int
    mug: int
    alice: int
    bob: int
    carol: int

    def order(self, customer_id: int, items: list[tuple[int, int]], status: str = "pending") -> int:
        """An order through the ORM, as the storefront would place it."""
        with self.sessions.begin() as s:
            lines = [(s.get(Product, pid), qty) for pid, qty in items]
            subtotal = sum((p.price * q for p, q in lines), Decimal("0"))
            order = Order(
                order_number=str(next(_numbers)),
                customer_id=customer_id,
                status=status,
                created_at=NOW,
                updated_at=NOW,
                currency="USD",
                subtotal=subtotal,
                total=subtotal,
                shipping_name="Test Person",
                shipping_street="1 Main St",
                shipping_city="Springfield",
                shipping_postcode="12345",
            )
            s.add(order)
            s.flush()
            for p, q in lines:
                s.add(OrderItem(order_id=order.id, product_id=p.id, quantity=q, unit_price=p.price))
            return int(order.id)

    def coupon(self, code: str, **fields: Any) -> int:
        fields.setdefault("kind", "percentage")
        fields.setdefault("value", Decimal("10"))
        return self.service.create_coupon(code=code, **fields)


def build_shop(sessions: sessionmaker) -> MiniShop:
    with sessions.begin() as s:
        outdoor = Category(name="Outdoor")
        apparel = Category(name="Apparel")
        s.add_all([outdoor, apparel])
        s.flush()
        tents = Category(name="Tents", parent_id=outdoor.id)
        socks_cat = Category(name="Socks", parent_id=apparel.id)
        s.add_all([tents, socks_cat])
        s.flush()

        def product(sku: str, name: str, cat: Category, price: str) -> Product:
            p = Product(
                sku=sku,
                name=name,
                brand="Acme",
                category=cat.name,
                category_id=cat.id,
                price=Decimal(price),
                stock=10,
                created_at=NOW,
            )
            s.add(p)
            return p

        tent = product("TNT-1", "Ridge Tent", tents, "200.00")
        socks = product("SCK-1", "Trail Sock", socks_cat, "9.00")
        mug = product("MUG-1", "Camp Mug", apparel, "20.00")
        s.flush()
        socks_m = ProductVariant(product_id=socks.id, sku="SCK-1-M", size="M", stock=5)
        s.add(socks_m)
        people = [
            Customer(email=f"{n}@example.com", name=n.title(), created_at=NOW)
            for n in ("alice", "bob", "carol")
        ]
        s.add_all(people)
        s.flush()
        ids = dict(
            tent=tent.id,
            socks=socks.id,
            socks_m=socks_m.id,
            mug=mug.id,
            alice=people[0].id,
            bob=people[1].id,
            carol=people[2].id,
        )
    return MiniShop(sessions=sessions, service=PricingService(sessions, SETTINGS), **ids)


@pytest.fixture
def shop(db) -> MiniShop:  # type: ignore[no-untyped-def]
    """The mini shop on each backend (SQLite and PostgreSQL)."""
    return build_shop(db.sessions)


@pytest.fixture
def pg_shop(make_db) -> MiniShop:  # type: ignore[no-untyped-def]
    """The mini shop on PostgreSQL only, for the races."""
    return build_shop(make_db("postgresql", False).sessions)
