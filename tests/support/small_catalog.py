"""A small, hand-written catalog with co-purchase structure, for tests.

``make_small_catalog(url)`` creates the tables on a fresh database and inserts ~30 products
with variants plus orders in which some products are bought together.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import sessionmaker

from shop.db.models import Base, Customer, Order, OrderItem, Product, ProductVariant
from shop.db.session import make_engine, make_sessionmaker

# (sku, name, brand, category, price, materials, description, variants[(size, color, stock)])
Variant = tuple[str | None, str | None, int]
PRODUCTS: list[tuple[str, str, str, str, str, str, str, list[Variant]]] = [
    (
        "SH-NIM-RUN",
        "Nimbus Running Shoe",
        "Stride",
        "Running Shoes",
        "89.00",
        "mesh, rubber",
        "Cushioned road running shoe for daily training.",
        [("42", "black", 5), ("43", "black", 0), ("42", "white", 2)],
    ),
    (
        "SH-NIM-TRL",
        "Nimbus Trail Shoe",
        "Stride",
        "Running Shoes",
        "99.00",
        "mesh, rubber",
        "Grippy trail running shoe for muddy paths.",
        [("42", "grey", 3), ("44", "grey", 1)],
    ),
    (
        "SH-NIM-GTX",
        "Nimbus Waterproof Hiker",
        "Stride",
        "Hiking Boots",
        "129.00",
        "leather",
        "Waterproof hiking boot with ankle support.",
        [("42", "brown", 4)],
    ),
    (
        "JK-SUM-FLC",
        "Summit Fleece Jacket",
        "Peakline",
        "Jackets",
        "70.00",
        "polyester fleece",
        "Warm fleece jacket for cold mornings.",
        [("S", "green", 3), ("M", "green", 0), ("M", "navy", 2), ("L", "navy", 1)],
    ),
    (
        "JK-STM-SHL",
        "Storm Shell Waterproof Jacket",
        "Peakline",
        "Jackets",
        "75.00",
        "nylon, membrane",
        "Waterproof breathable rain jacket with taped seams and a hood.",
        [("M", "black", 4), ("M", "red", 2), ("L", "blue", 1)],
    ),
    (
        "JK-DRZ-RAI",
        "Drizzle Rain Jacket",
        "Coastal",
        "Jackets",
        "60.00",
        "polyester",
        "Lightweight waterproof rain jacket, packs into its pocket.",
        [("M", "black", 6)],
    ),
    (
        "JK-TMP-WPJ",
        "Tempest Waterproof Jacket",
        "Coastal",
        "Jackets",
        "65.00",
        "nylon",
        "Waterproof storm jacket for heavy rain.",
        [("M", "blue", 0), ("L", "blue", 0)],
    ),
    (
        "JK-CSC-PRK",
        "Cascade Waterproof Parka",
        "Peakline",
        "Jackets",
        "150.00",
        "nylon, down",
        "Insulated waterproof winter parka.",
        [("M", "black", 2), ("M", "olive", 2)],
    ),
    (
        "TS-BAS-RED",
        "Basic Tee Red",
        "Loom",
        "T-Shirts",
        "15.00",
        "cotton",
        "Soft cotton crew-neck t-shirt.",
        [("M", "red", 10)],
    ),
    (
        "TS-BAS-BLU",
        "Basic Tee Blue",
        "Loom",
        "T-Shirts",
        "15.00",
        "cotton",
        "Soft cotton crew-neck t-shirt.",
        [("M", "blue", 10)],
    ),
    (
        "TS-BAS-GRN",
        "Basic Tee Green",
        "Loom",
        "T-Shirts",
        "15.00",
        "cotton",
        "Soft cotton crew-neck t-shirt.",
        [("M", "green", 10)],
    ),
    (
        "TS-BAS-BLK",
        "Basic Tee Black",
        "Loom",
        "T-Shirts",
        "15.00",
        "cotton",
        "Soft cotton crew-neck t-shirt.",
        [("M", "black", 10)],
    ),
    (
        "TS-BAS-WHT",
        "Basic Tee White",
        "Loom",
        "T-Shirts",
        "15.00",
        "cotton",
        "Soft cotton crew-neck t-shirt.",
        [("M", "white", 10)],
    ),
    (
        "TS-ORG-TEE",
        "Organic Cotton Tee",
        "Verde",
        "T-Shirts",
        "25.00",
        "organic cotton",
        "Organic cotton t-shirt with a relaxed fit.",
        [("M", "white", 4)],
    ),
    (
        "TS-RUN-TEE",
        "Dryfit Running Tee",
        "Stride",
        "T-Shirts",
        "30.00",
        "polyester",
        "Quick-dry running t-shirt.",
        [("M", "orange", 4)],
    ),
    (
        "BP-TRL-30L",
        "Trail Backpack 30L",
        "Peakline",
        "Backpacks",
        "80.00",
        "ripstop nylon",
        "Day-hiking backpack with hip belt and rain cover.",
        [(None, "green", 5)],
    ),
    (
        "BP-CTY-20L",
        "City Commuter Backpack",
        "Urban",
        "Backpacks",
        "55.00",
        "canvas",
        "Laptop backpack for the daily commute.",
        [(None, "grey", 5)],
    ),
    (
        "AC-HYD-BTL",
        "Hydration Bottle 1L",
        "Peakline",
        "Accessories",
        "18.00",
        "steel",
        "Insulated water bottle that keeps drinks cold.",
        [(None, "silver", 20)],
    ),
    (
        "AC-TRK-PLS",
        "Trekking Poles",
        "Peakline",
        "Accessories",
        "45.00",
        "aluminium",
        "Adjustable trekking poles for hiking.",
        [(None, "black", 7)],
    ),
    (
        "SO-RUN-SCK",
        "Running Socks 3-Pack",
        "Stride",
        "Socks",
        "12.00",
        "cotton, elastane",
        "Cushioned running socks.",
        [("M", "white", 30)],
    ),
    (
        "SO-WOL-HKG",
        "Wool Hiking Socks",
        "Peakline",
        "Socks",
        "16.00",
        "merino wool",
        "Merino hiking socks.",
        [("M", "grey", 12)],
    ),
    (
        "YG-MAT-PRO",
        "Yoga Mat Pro",
        "Zen",
        "Yoga",
        "40.00",
        "natural rubber",
        "Non-slip yoga mat.",
        [(None, "purple", 6)],
    ),
    (
        "YG-BLK-COR",
        "Cork Yoga Block",
        "Zen",
        "Yoga",
        "14.00",
        "cork",
        "Firm cork yoga block.",
        [(None, "brown", 9)],
    ),
    (
        "CP-TNT-2P",
        "Ridge Tent 2P",
        "Peakline",
        "Camping",
        "220.00",
        "nylon",
        "Two-person backpacking tent.",
        [(None, "green", 2)],
    ),
    (
        "CP-SLP-BAG",
        "Ridge Sleeping Bag",
        "Peakline",
        "Camping",
        "120.00",
        "down",
        "Three-season down sleeping bag.",
        [(None, "blue", 3)],
    ),
    (
        "CP-STV-MIN",
        "Mini Camp Stove",
        "Flame",
        "Camping",
        "35.00",
        "steel",
        "Compact gas stove for camping.",
        [(None, "silver", 5)],
    ),
    (
        "CP-LNT-AUR",
        "Aurora Camp Lantern",
        "Flame",
        "Camping",
        "28.00",
        "plastic",
        "Rechargeable LED lantern for the campsite.",
        [(None, "black", 8)],
    ),
    (
        "HT-SUN-HAT",
        "Sun Hat",
        "Coastal",
        "Hats",
        "22.00",
        "cotton",
        "Wide-brim sun hat.",
        [("M", "beige", 5)],
    ),
    (
        "HT-WOL-BNE",
        "Wool Beanie",
        "Peakline",
        "Hats",
        "20.00",
        "wool",
        "Warm knitted beanie.",
        [(None, "black", 5)],
    ),
    (
        "GL-TCH-GLV",
        "Touchscreen Gloves",
        "Urban",
        "Gloves",
        "24.00",
        "fleece",
        "Gloves that work with phone screens.",
        [("M", "black", 0), ("L", "black", 3)],
    ),
]

#: Baskets bought together (by sku), each repeated ``times`` times.
BASKETS: list[tuple[tuple[str, ...], int]] = [
    (("SH-NIM-RUN", "SO-RUN-SCK"), 6),
    (("SH-NIM-RUN", "TS-RUN-TEE"), 2),
    (("BP-TRL-30L", "AC-HYD-BTL", "AC-TRK-PLS"), 4),
    (("BP-TRL-30L", "SO-WOL-HKG"), 2),
    (("YG-MAT-PRO", "YG-BLK-COR"), 5),
    (("CP-TNT-2P", "CP-SLP-BAG", "CP-STV-MIN"), 3),
    (("JK-STM-SHL", "HT-WOL-BNE"), 2),
    (("TS-BAS-RED",), 3),
]


def add_products(session_factory: sessionmaker, products=PRODUCTS) -> dict[str, int]:
    """Insert ``products``; returns sku -> product id."""
    ids: dict[str, int] = {}
    with session_factory.begin() as s:
        for sku, name, brand, cat, price, materials, desc, variants in products:
            p = Product(
                sku=sku,
                name=name,
                brand=brand,
                category=cat,
                price=Decimal(price),
                stock=sum(v[2] for v in variants),
                description=desc,
                materials=materials,
                rating=Decimal("4.2"),
                image_url=f"/static/img/{sku}.jpg",
            )
            for i, (size, color, stock) in enumerate(variants):
                p.variants.append(ProductVariant(sku=f"{sku}-{i}", size=size, color=color, stock=stock))
            s.add(p)
            s.flush()
            ids[sku] = p.id
    return ids


def add_orders(session_factory: sessionmaker, ids: dict[str, int], baskets=BASKETS) -> list[int]:
    """One customer per basket copy; returns the customer ids in insertion order."""
    customers: list[int] = []
    start = datetime(2024, 1, 1)
    n = 0
    with session_factory.begin() as s:
        for skus, times in baskets:
            for _ in range(times):
                n += 1
                c = Customer(email=f"c{n}@example.com", name=f"Customer {n}")
                s.add(c)
                s.flush()
                customers.append(c.id)
                o = Order(
                    order_number=f"{100000 + n}",
                    customer_id=c.id,
                    status="delivered",
                    created_at=start + timedelta(days=n),
                    updated_at=start + timedelta(days=n),
                    subtotal=Decimal("0"),
                    total=Decimal("0"),
                    shipping_name=f"Customer {n}",
                    shipping_street="1 Main St",
                    shipping_city="Springfield",
                    shipping_postcode="12345",
                )
                for sku in skus:
                    o.items.append(OrderItem(product_id=ids[sku], quantity=1, unit_price=Decimal("1.00")))
                s.add(o)
    return customers


def make_small_catalog(url: str, with_orders: bool = True) -> tuple[sessionmaker, dict[str, int]]:
    """Fresh DB at ``url`` with :data:`PRODUCTS` (and :data:`BASKETS` as orders)."""
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    sf = make_sessionmaker(engine)
    ids = add_products(sf)
    if with_orders:
        add_orders(sf, ids)
    return sf, ids
