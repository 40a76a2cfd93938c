"""Deterministic demo data: ``python -m shop.seed.demo [--if-empty] [--url URL]``.

Everything is drawn from ``random.Random(seed)`` and a seeded Faker, relative to a
reference ``now`` (default: today 12:00 UTC), so the same inputs give identical rows.
The data has structure worth mining: shoppers stick to one or two favourite
categories, some product pairs (shoe + socks) are bought together, and past prices
moved by up to ±10% with demand reacting to them.

A handful of fixed orders (``DEMO_ORDERS``) exist in every seed for the README and tests.
"""

from __future__ import annotations

import argparse
import math
import random
import re
import time
from bisect import bisect
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate
from typing import Any

from faker import Faker
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from shop.db import models as m
from shop.db.session import make_sessionmaker
from shop.pricing.seed import seed_pricing
from shop.seed.catalog_vocab import (
    BENEFITS,
    BRANDS_BY_PARENT,
    CARRIERS,
    COLORS,
    COMPLEMENTS,
    EMAIL_DOMAINS,
    HUBS,
    LEAVES,
    MODEL_SUFFIXES,
    PARENTS,
    RETURN_REASONS,
    SENTENCE_CLOSERS,
    SENTENCE_FEATURES,
    SENTENCE_OPENERS,
    USES,
    Leaf,
)
from shop.urls import image_url

Row = dict[str, Any]
CENT = Decimal("0.01")
DEFAULT_SEED = 20240611
HISTORY_DAYS = 120
FREE_SHIPPING_FROM = Decimal("75.00")
FLAT_SHIPPING = Decimal("5.99")

# name -> (order_number, customer email). Timelines are relative to the seed's ``now``.
DEMO_ORDERS: dict[str, tuple[str, str]] = {
    # delivered 5 days ago: running shoe + 2 pairs of socks, returnable (window open)
    "delivered_recent": ("104523", "alex.morgan@example.com"),
    # in transit with UPS, shipped 2 days ago, eta in 2 days
    "shipped": ("104587", "alex.morgan@example.com"),
    # processing since yesterday: cancellable
    "processing": ("205318", "jordan.lee@example.com"),
    # placed 3 hours ago, still pending: cancellable
    "pending": ("205319", "jordan.lee@example.com"),
    # delivered 60 days ago: return window closed
    "delivered_old": ("318842", "sam.rivera@example.com"),
    # cancelled by the shopper 12 days ago
    "cancelled": ("412907", "sam.rivera@example.com"),
    # delivered 25 days ago, returned (DEMO_RMA, refunded)
    "returned": ("523110", "taylor.kim@example.com"),
}
DEMO_RMA = "RMA-100001"
DEMO_CUSTOMERS: dict[str, str] = {
    "alex.morgan@example.com": "Alex Morgan",
    "jordan.lee@example.com": "Jordan Lee",
    "sam.rivera@example.com": "Sam Rivera",
    "taylor.kim@example.com": "Taylor Kim",
}

TABLE_ORDER = (
    "categories",
    "customers",
    "products",
    "product_variants",
    "orders",
    "order_items",
    "shipments",
    "shipment_events",
    "order_status_changes",
    "returns",
    "return_items",
)


def default_now() -> datetime:
    """Today at 12:00 UTC (naive), so "the last 120 days" follows the run date."""
    today = datetime.now(timezone.utc).date()
    return datetime(today.year, today.month, today.day, 12, 0, 0)


@dataclass(frozen=True)
class SeedSize:
    customers: int = 520
    products: int = 2000
    orders: int = 3200

    @classmethod
    def small(cls) -> SeedSize:
        """Quick to build, still covers every status: for tests."""
        return cls(customers=20, products=60, orders=100)


@dataclass
class SeedData:
    """Rows per table, ready for ``insert()``; ids are assigned here."""

    now: datetime
    tables: dict[str, list[Row]] = field(default_factory=lambda: {t: [] for t in TABLE_ORDER})

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.tables.items()}


@dataclass
class _Product:
    row: Row
    leaf: Leaf
    base: Decimal
    multipliers: tuple[float, ...]  # price factor per 15-day block, newest last
    popularity: float
    variant_ids: list[int]
    partner: int | None = None  # id of the product it is most often bought with


@dataclass
class _Customer:
    id: int
    name: str
    street: str
    city: str
    state: str
    postcode: str
    favourites: tuple[str, ...]  # favourite leaf names


@dataclass
class _Line:
    product_id: int
    variant_id: int | None
    quantity: int
    unit_price: Decimal


# (requested at, received at or None while open, returned lines or None for all)
_ReturnPlan = tuple[datetime, "datetime | None", "list[_Line] | None"]


def _money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


class _Builder:
    def __init__(self, now: datetime, size: SeedSize, seed: int) -> None:
        if size.products < len(LEAVES):
            raise ValueError(f"need at least {len(LEAVES)} products, one per category")
        self.now = now
        self.size = size
        self.rng = random.Random(seed)
        self.fake = Faker("en_US")
        self.fake.seed_instance(seed)
        self.data = SeedData(now=now)
        self.t = self.data.tables
        self.products: list[_Product] = []
        self.by_leaf: dict[str, list[_Product]] = {}
        self.leaf_weights: dict[str, list[float]] = {}
        self.customers: list[_Customer] = []
        self.by_email: dict[str, _Customer] = {}
        self.rmas: set[str] = {DEMO_RMA[4:]}

    # ---- catalog -------------------------------------------------------------------
    def build_categories(self) -> dict[str, int]:
        ids: dict[str, int] = {}
        for parent in PARENTS:
            ids[parent] = len(self.t["categories"]) + 1
            self.t["categories"].append({"id": ids[parent], "name": parent, "parent_id": None})
        for leaf in LEAVES:
            ids[leaf.name] = len(self.t["categories"]) + 1
            self.t["categories"].append(
                {"id": ids[leaf.name], "name": leaf.name, "parent_id": ids[leaf.parent]}
            )
        return ids

    def _leaf_counts(self) -> list[int]:
        total_w = sum(leaf.weight for leaf in LEAVES)
        spare = self.size.products - len(LEAVES)
        raw = [spare * leaf.weight / total_w for leaf in LEAVES]
        counts = [1 + int(r) for r in raw]
        by_remainder = sorted(range(len(LEAVES)), key=lambda i: raw[i] - int(raw[i]), reverse=True)
        for i in by_remainder[: self.size.products - sum(counts)]:
            counts[i] += 1
        return counts

    def build_products(self, category_ids: dict[str, int]) -> None:
        rng = self.rng
        blocks = HISTORY_DAYS // 15 + 1
        factors = (0.9, 0.92, 0.95, 0.97, 1.0, 1.0, 1.0, 1.03, 1.05, 1.08, 1.1)
        for leaf, count in zip(LEAVES, self._leaf_counts(), strict=False):
            brands = BRANDS_BY_PARENT[leaf.parent]
            names: set[str] = set()
            for _ in range(count):
                brand, name = "", ""
                for attempt in range(50):
                    suffix = rng.choice(MODEL_SUFFIXES) if attempt < 20 else rng.choice(MODEL_SUFFIXES[4:])
                    brand = rng.choice(brands)
                    parts = [brand, rng.choice(leaf.adjectives), rng.choice(leaf.nouns), suffix]
                    name = " ".join(p for p in parts if p)
                    if name not in names:
                        break
                names.add(name)
                self._add_product(leaf, brand, name, category_ids[leaf.name], blocks, factors)
        for product in self.products:
            complements = COMPLEMENTS.get(product.leaf.name)
            if complements:
                pool = [p for p in self.by_leaf[rng.choice(complements)] if p is not product]
                product.partner = rng.choice(pool).row["id"] if pool else None
        for leaf_name, prods in self.by_leaf.items():
            self.leaf_weights[leaf_name] = list(accumulate(p.popularity for p in prods))

    def _add_product(
        self, leaf: Leaf, brand: str, name: str, category_id: int, blocks: int, factors: tuple[float, ...]
    ) -> None:
        rng = self.rng
        pid = len(self.t["products"]) + 1
        sku = f"{leaf.prefix}-{pid:06d}"
        lo, hi = leaf.price
        dollars = max(int(math.exp(rng.uniform(math.log(lo), math.log(hi)))), 5)
        base = Decimal(dollars) + Decimal(rng.choice(("0.99", "0.99", "0.95", "0.00", "0.50")))
        materials = rng.sample(leaf.materials, k=min(len(leaf.materials), rng.randint(1, 2)))
        material = materials[0]
        sentences = [
            rng.choice(SENTENCE_OPENERS).format(name=name, brand=brand, use=rng.choice(USES[leaf.parent])),
            rng.choice(SENTENCE_FEATURES).format(
                material=material,
                material_cap=material[:1].upper() + material[1:],
                benefit=rng.choice(BENEFITS),
            ),
        ]
        if rng.random() < 0.6:
            sentences.append(rng.choice(SENTENCE_CLOSERS).format(brand=brand))
        rating = Decimal(str(round(min(5.0, max(3.0, rng.gauss(4.3, 0.45))), 1)))
        multipliers = tuple(rng.choice(factors) for _ in range(blocks - 1)) + (1.0,)
        row: Row = {
            "id": pid, "sku": sku, "name": name, "brand": brand, "category": leaf.name,
            "category_id": category_id, "price": base, "stock": 0,
            "description": " ".join(sentences), "materials": ", ".join(materials),
            "rating": rating, "image_url": image_url(sku),
            "created_at": self.now - timedelta(days=rng.randint(200, 720)),
        }  # fmt: skip
        self.t["products"].append(row)
        product = _Product(row, leaf, base, multipliers, rng.paretovariate(1.3), [])
        self.products.append(product)
        self.by_leaf.setdefault(leaf.name, []).append(product)
        self._add_variants(product)

    def _add_variants(self, product: _Product) -> None:
        rng, leaf = self.rng, product.leaf
        sizes: list[str | None] = [None]
        if leaf.sizes:
            n = rng.randint(min(3, len(leaf.sizes)), len(leaf.sizes))
            start = rng.randint(0, len(leaf.sizes) - n)
            sizes = list(leaf.sizes[start : start + n])
        colors: list[str | None] = [None]
        if leaf.colored:
            colors = list(rng.sample(COLORS, k=rng.choice((1, 2, 2, 3, 3, 4))))
        total = 0
        for size in sizes:
            for color in colors:
                parts = [product.row["sku"], size, re.sub(r"\W", "", color)[:4].upper() if color else None]
                sku = "-".join(p for p in parts if p) if (size or color) else f"{product.row['sku']}-STD"
                stock = 0 if rng.random() < 0.12 else rng.randint(1, 40)
                total += stock
                vid = len(self.t["product_variants"]) + 1
                self.t["product_variants"].append(
                    {"id": vid, "product_id": product.row["id"], "sku": sku, "size": size,
                     "color": color, "stock": stock}
                )  # fmt: skip
                product.variant_ids.append(vid)
        product.row["stock"] = total

    # ---- customers -----------------------------------------------------------------
    def build_customers(self) -> None:
        for email, name in DEMO_CUSTOMERS.items():
            self._add_customer(name, email)
        slug = re.compile(r"[^a-z]")
        while len(self.customers) < self.size.customers:
            first, last = self.fake.first_name(), self.fake.last_name()
            base = f"{slug.sub('', first.lower())}.{slug.sub('', last.lower())}"
            email = f"{base}@{self.rng.choice(EMAIL_DOMAINS)}"
            while email in self.by_email:
                email = f"{base}{self.rng.randint(1, 999)}@{self.rng.choice(EMAIL_DOMAINS)}"
            self._add_customer(f"{first} {last}", email)

    def _add_customer(self, name: str, email: str) -> None:
        rng, fake = self.rng, self.fake
        cid = len(self.customers) + 1
        leaves = [leaf.name for leaf in LEAVES]
        weights = [leaf.weight for leaf in LEAVES]
        favourites = tuple(dict.fromkeys(rng.choices(leaves, weights, k=rng.choice((1, 2, 2)))))
        customer = _Customer(
            cid, name, fake.street_address(), fake.city(), fake.state_abbr(include_territories=False),
            fake.zipcode(), favourites,
        )  # fmt: skip
        self.customers.append(customer)
        self.by_email[email] = customer
        self.t["customers"].append(
            {"id": cid, "email": email, "name": name, "phone": fake.numerify("(###) ###-####"),
             "created_at": self.now - timedelta(days=rng.randint(HISTORY_DAYS + 10, 900))}
        )  # fmt: skip

    # ---- orders --------------------------------------------------------------------
    def _multiplier(self, product: _Product, at: datetime) -> float:
        block = max(0, min(len(product.multipliers) - 1, (HISTORY_DAYS - (self.now - at).days) // 15))
        return product.multipliers[block]

    def _pick(self, leaf_name: str, at: datetime, exclude: set[int]) -> _Product | None:
        prods, cum = self.by_leaf[leaf_name], self.leaf_weights[leaf_name]
        for _ in range(6):
            p = prods[bisect(cum, self.rng.random() * cum[-1]) if len(prods) > 1 else 0]
            if p.row["id"] in exclude:
                continue
            # Demand reacts to price: at +10% a product sells about half as often as at -10%.
            if self.rng.random() <= (0.9 / self._multiplier(p, at)) ** 4:
                return p
        return None

    def _line(self, product: _Product, at: datetime) -> _Line:
        mult = self._multiplier(product, at)
        small = product.leaf.price[1] < 60
        qty = 1
        if small and self.rng.random() < (0.35 if mult < 0.96 else 0.2):
            qty = self.rng.randint(2, 3)
        return _Line(
            product.row["id"],
            self.rng.choice(product.variant_ids),
            qty,
            _money(product.base * Decimal(str(mult))),
        )

    def _basket(self, customer: _Customer, at: datetime) -> list[_Line]:
        rng = self.rng
        target = rng.choices((1, 2, 3, 4), (45, 30, 17, 8))[0]
        chosen: list[_Product] = []
        ids: set[int] = set()
        all_leaves = [leaf.name for leaf in LEAVES]
        while len(chosen) < target:
            product: _Product | None = None
            last = chosen[-1] if chosen else None
            if last is not None and last.partner and last.partner not in ids and rng.random() < 0.55:
                product = self.products[last.partner - 1]
            else:
                leaf = rng.choice(customer.favourites) if rng.random() < 0.8 else rng.choice(all_leaves)
                product = self._pick(leaf, at, ids)
            if product is None:
                if not chosen:
                    continue
                break
            chosen.append(product)
            ids.add(product.row["id"])
        return [self._line(p, at) for p in chosen]

    def build_orders(self) -> None:
        rng, now = self.rng, self.now
        demo_numbers = {number for number, _ in DEMO_ORDERS.values()}
        n = max(0, self.size.orders - len(DEMO_ORDERS))
        pool = [
            x for x in rng.sample(range(100000, 1000000), n + len(demo_numbers)) if str(x) not in demo_numbers
        ]
        numbers = [str(x) for x in pool[:n]]
        weights = list(accumulate(min(rng.paretovariate(1.2), 25.0) for _ in self.customers))
        created = sorted(now - timedelta(seconds=rng.uniform(0, HISTORY_DAYS * 86400)) for _ in range(n))
        plans: list[tuple[datetime, str, _Customer]] = []
        for at, number in zip(created, numbers, strict=False):
            customer = self.customers[bisect(weights, rng.random() * weights[-1])]
            plans.append((at, number, customer))
        plans.extend(self._demo_plans())
        plans.sort(key=lambda p: (p[0], p[1]))
        for at, number, customer in plans:
            if number in demo_numbers:
                self._demo_order(number, customer, at)
            else:
                self._random_order(number, customer, at)

    def _demo_plans(self) -> list[tuple[datetime, str, _Customer]]:
        ago = {
            "delivered_recent": timedelta(days=9), "shipped": timedelta(days=3),
            "processing": timedelta(days=1), "pending": timedelta(hours=3),
            "delivered_old": timedelta(days=66), "cancelled": timedelta(days=12),
            "returned": timedelta(days=30),
        }  # fmt: skip
        return [
            (self.now - ago[name], number, self.by_email[email])
            for name, (number, email) in DEMO_ORDERS.items()
        ]

    def _random_order(self, number: str, customer: _Customer, at: datetime) -> None:
        rng = self.rng
        lines = self._basket(customer, at)
        processing_at = at + timedelta(hours=rng.uniform(1, 30))
        shipped_at = processing_at + timedelta(hours=rng.uniform(16, 60))
        delivered_at = shipped_at + timedelta(hours=rng.uniform(40, 140))
        cancelled_at = None
        if rng.random() < 0.07:
            cancelled_at = at + (shipped_at - at) * rng.uniform(0.1, 0.9)
        return_plan: _ReturnPlan | None = None
        if rng.random() < 0.11:
            requested = delivered_at + timedelta(days=rng.uniform(1, 12))
            return_plan = (requested, requested + timedelta(days=rng.uniform(3, 8)), None)
        elif rng.random() < 0.05:
            requested = delivered_at + timedelta(days=rng.uniform(1, 10))
            return_plan = (requested, None, lines[:1])
        self._emit_order(
            number, customer, at, lines, processing_at, shipped_at, delivered_at, cancelled_at,
            return_plan, rng.choice(CARRIERS),
        )  # fmt: skip

    def _first(self, leaf: str, offset: int = 0) -> _Product:
        prods = self.by_leaf[leaf]
        return prods[offset % len(prods)]

    def _demo_order(self, number: str, customer: _Customer, at: datetime) -> None:
        now = self.now
        name = next(k for k, (num, _) in DEMO_ORDERS.items() if num == number)

        def line(leaf: str, qty: int = 1) -> _Line:
            p = self._first(leaf)
            return _Line(p.row["id"], p.variant_ids[0], qty, p.base)

        h, d = timedelta(hours=1), timedelta(days=1)
        if name == "delivered_recent":
            self._emit_order(
                number,
                customer,
                at,
                [line("Running Shoes"), line("Socks", 2)],
                at + 2 * h,
                now - 8 * d,
                now - 5 * d,
                None,
                None,
                "UPS",
            )
        elif name == "shipped":
            self._emit_order(
                number,
                customer,
                at,
                [line("Headphones")],
                at + 2 * h,
                now - 2 * d,
                now + 2 * d,
                None,
                None,
                "UPS",
            )
        elif name == "processing":
            self._emit_order(
                number,
                customer,
                at,
                [line("Jackets"), line("Backpacks")],
                now - 20 * h,
                now + 2 * d,
                now + 6 * d,
                None,
                None,
                "FedEx",
            )
        elif name == "pending":
            self._emit_order(
                number,
                customer,
                at,
                [line("Kitchen")],
                now + 5 * h,
                now + 2 * d,
                now + 6 * d,
                None,
                None,
                "USPS",
            )
        elif name == "delivered_old":
            self._emit_order(
                number,
                customer,
                at,
                [line("Hiking Boots")],
                at + 3 * h,
                now - 64 * d,
                now - 60 * d,
                None,
                None,
                "FedEx",
            )
        elif name == "cancelled":
            self._emit_order(
                number,
                customer,
                at,
                [line("Speakers")],
                at + 2 * h,
                now + 30 * d,
                now + 40 * d,
                at + 5 * h,
                None,
                "DHL",
            )
        elif name == "returned":
            self._emit_order(
                number,
                customer,
                at,
                [line("Yoga"), line("Water Bottles")],
                at + 2 * h,
                now - 28 * d,
                now - 25 * d,
                None,
                (now - 20 * d, now - 15 * d, None),
                "USPS",
                rma=DEMO_RMA,
            )
        # fmt: skip

    def _emit_order(
        self,
        number: str,
        customer: _Customer,
        at: datetime,
        lines: list[_Line],
        processing_at: datetime,
        shipped_at: datetime,
        delivered_at: datetime,
        cancelled_at: datetime | None,
        return_plan: _ReturnPlan | None,
        carrier: str,
        rma: str | None = None,
    ) -> None:
        """Walk the order's timeline up to ``now`` and write every row it implies."""
        now, rng = self.now, self.rng
        oid = len(self.t["orders"]) + 1
        changes: list[tuple[str | None, str, datetime, str | None]] = [(None, "pending", at, None)]
        status = "pending"
        if processing_at <= now:
            changes.append(("pending", "processing", processing_at, "Payment captured"))
            status = "processing"
        if cancelled_at is not None and cancelled_at <= now and cancelled_at < shipped_at:
            changes.append((status, "cancelled", cancelled_at, "Cancelled at customer request"))
            status = "cancelled"
        elif shipped_at <= now:
            changes.append(("processing", "shipped", shipped_at, None))
            status = "shipped"
            if delivered_at <= now:
                changes.append(("shipped", "delivered", delivered_at, None))
                status = "delivered"
        subtotal = sum((ln.unit_price * ln.quantity for ln in lines), Decimal("0.00"))
        shipping = Decimal("0.00") if subtotal >= FREE_SHIPPING_FROM else FLAT_SHIPPING
        first_item_id = len(self.t["order_items"]) + 1
        for i, ln in enumerate(lines):
            self.t["order_items"].append(
                {"id": first_item_id + i, "order_id": oid, "product_id": ln.product_id,
                 "variant_id": ln.variant_id, "quantity": ln.quantity, "unit_price": ln.unit_price}
            )  # fmt: skip
        if status == "delivered" and return_plan is not None and return_plan[0] <= now:
            requested, received, subset = return_plan
            if received is not None and received > now:
                received = None
            returned_lines = subset if subset is not None else lines
            rid = len(self.t["returns"]) + 1
            if rma is None:
                digits = str(rng.randint(100000, 999999))
                while digits in self.rmas:
                    digits = str(rng.randint(100000, 999999))
                self.rmas.add(digits)
                rma = f"RMA-{digits}"
            refund = sum((ln.unit_price * ln.quantity for ln in returned_lines), Decimal("0.00"))
            if received is not None:
                ret_status = "refunded" if rng.random() < 0.8 or rma == DEMO_RMA else "received"
                changes.append(("delivered", "returned", received, f"Return {rma} received"))
                status = "returned"
            else:
                ret_status = "requested"
            self.t["returns"].append(
                {"id": rid, "rma_number": rma, "order_id": oid, "status": ret_status,
                 "reason": rng.choice(RETURN_REASONS), "refund_amount": _money(refund),
                 "created_at": requested, "updated_at": received or requested}
            )  # fmt: skip
            for ln in returned_lines:
                item_id = first_item_id + lines.index(ln)
                self.t["return_items"].append(
                    {"id": len(self.t["return_items"]) + 1, "return_id": rid,
                     "order_item_id": item_id, "quantity": ln.quantity}
                )  # fmt: skip
        self.t["orders"].append(
            {"id": oid, "order_number": number, "customer_id": customer.id, "status": status,
             "created_at": at, "updated_at": changes[-1][2], "currency": "USD",
             "subtotal": _money(subtotal), "shipping_cost": shipping,
             "discount_total": Decimal("0.00"), "total": _money(subtotal + shipping),
             "payment_method": rng.choices(("card", "paypal", "apple_pay"), (75, 15, 10))[0],
             "shipping_name": customer.name, "shipping_street": customer.street,
             "shipping_city": customer.city, "shipping_postcode": customer.postcode,
             "shipping_country": "US"}
        )  # fmt: skip
        for from_s, to_s, when, note in changes:
            self.t["order_status_changes"].append(
                {"id": len(self.t["order_status_changes"]) + 1, "order_id": oid, "from_status": from_s,
                 "to_status": to_s, "changed_at": when, "actor": "system", "note": note}
            )  # fmt: skip
        if status in ("shipped", "delivered", "returned"):
            self._emit_shipment(oid, customer, carrier, shipped_at, delivered_at)

    def _tracking_number(self, carrier: str) -> str:
        rng = self.rng
        digits = "0123456789"
        if carrier == "UPS":
            return "1Z" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(16))
        if carrier == "FedEx":
            return "".join(rng.choice(digits) for _ in range(12))
        if carrier == "USPS":
            return "9400" + "".join(rng.choice(digits) for _ in range(18))
        return "".join(rng.choice(digits) for _ in range(10))

    def _emit_shipment(
        self, oid: int, customer: _Customer, carrier: str, shipped_at: datetime, delivered_at: datetime
    ) -> None:
        rng, now = self.rng, self.now
        sid = len(self.t["shipments"]) + 1
        delivered = delivered_at <= now
        eta = delivered_at + timedelta(hours=rng.uniform(-20, 20)) if delivered else delivered_at
        self.t["shipments"].append(
            {"id": sid, "order_id": oid, "carrier": carrier,
             "tracking_number": self._tracking_number(carrier), "shipped_at": shipped_at,
             "eta": eta.replace(hour=20, minute=0, second=0, microsecond=0),
             "delivered_at": delivered_at if delivered else None}
        )  # fmt: skip
        origin, hub = rng.sample(HUBS, 2)
        dest = f"{customer.city}, {customer.state}"
        span = delivered_at - shipped_at
        events = [
            (shipped_at, origin, "Picked up by carrier"),
            (shipped_at + span * 0.15, origin, "Departed facility"),
            (shipped_at + span * 0.5, hub, "Arrived at facility"),
            (delivered_at - timedelta(hours=5), dest, "Out for delivery"),
            (delivered_at, dest, "Delivered"),
        ]
        if rng.random() < 0.4:
            del events[2]  # some parcels skip the sort hub
        if not delivered:
            events = [e for e in events if e[0] <= now][:3]
        if len(events) < 2:
            events.append((shipped_at + (now - shipped_at) / 2, origin, "Departed facility"))
        for when, location, description in events:
            self.t["shipment_events"].append(
                {"id": len(self.t["shipment_events"]) + 1, "shipment_id": sid, "occurred_at": when,
                 "location": location, "description": description}
            )  # fmt: skip


def build(now: datetime | None = None, size: SeedSize | None = None, seed: int = DEFAULT_SEED) -> SeedData:
    """Generate every row in memory. Pure: same ``now``, ``size`` and ``seed`` -> same rows."""
    now = _naive_utc(now or default_now())
    builder = _Builder(now, size or SeedSize(), seed)
    builder.build_products(builder.build_categories())
    builder.build_customers()
    builder.build_orders()
    return builder.data


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def is_empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        return not conn.execute(select(func.count()).select_from(m.Customer.__table__)).scalar()


def seed_database(
    target: Engine | sessionmaker,
    now: datetime | None = None,
    size: SeedSize | None = None,
    seed: int = DEFAULT_SEED,
    if_empty: bool = False,
) -> dict[str, int] | None:
    """Insert the demo data into a migrated, empty database; returns row counts.

    The demo coupons and promotions (:func:`shop.pricing.seed.seed_pricing`) come with it,
    dated relative to the same ``now``.

    With ``if_empty`` a database that already has customers is left alone (returns None).
    """
    engine: Engine = target.kw["bind"] if isinstance(target, sessionmaker) else target
    if not is_empty(engine):
        if if_empty:
            return None
        raise RuntimeError("the database already has customers; seed an empty database")
    data = build(now, size, seed)
    tables = m.Base.metadata.tables
    with engine.begin() as conn:
        for name in TABLE_ORDER:
            rows = data.tables[name]
            for start in range(0, len(rows), 5000):
                conn.execute(insert(tables[name]), rows[start : start + 5000])
        if conn.dialect.name == "postgresql":
            # Ids were given explicitly; move each sequence past them for later inserts.
            for name in TABLE_ORDER:
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"COALESCE(MAX(id), 0) + 1, false) FROM {name}"
                    )
                )
    return {**data.counts(), **seed_pricing(make_sessionmaker(engine), data.now)}


def main(argv: list[str] | None = None) -> None:
    from shop.db.migrate import upgrade
    from shop.db.session import make_engine

    parser = argparse.ArgumentParser(description="Seed the demo order database.")
    parser.add_argument("--url", help="database URL (default: SHOP_DB_URL or var/shop.db)")
    parser.add_argument("--if-empty", action="store_true", help="do nothing if customers exist")
    parser.add_argument("--now", type=date.fromisoformat, help="reference date (default: today)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--customers", type=int, default=SeedSize.customers)
    parser.add_argument("--products", type=int, default=SeedSize.products)
    parser.add_argument("--orders", type=int, default=SeedSize.orders)
    args = parser.parse_args(argv)
    from shop.secrets import demo_mode

    if not demo_mode():
        # Demo customers, their orders and public coupons have no place in a real shop's DB.
        why = "demo mode is off (SHOP_ENV=production or SHOP_DEMO_MODE=0)"
        if args.if_empty:
            print(f"skipped the demo seed: {why}")
            return
        raise SystemExit(f"refusing to seed demo data: {why}")
    now = datetime(args.now.year, args.now.month, args.now.day, 12) if args.now else default_now()
    started = time.perf_counter()
    upgrade(args.url)
    engine = make_engine(args.url, statement_timeout_ms=0)  # bulk inserts: no per-statement limit
    try:
        counts = seed_database(
            engine, now, SeedSize(args.customers, args.products, args.orders), args.seed, args.if_empty
        )
    finally:
        engine.dispose()
    if counts is None:
        print("demo database already seeded; nothing to do")
        return
    summary = ", ".join(f"{n} {t}" for t, n in counts.items())
    print(f"seeded in {time.perf_counter() - started:.1f}s (now={now:%Y-%m-%d %H:%M} UTC): {summary}")


if __name__ == "__main__":
    main()
