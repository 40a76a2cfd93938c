"""SQLAlchemy models of the shop's order database.

Written in SQLAlchemy 2.0 style on 1.4 (``future=True`` engines, ``select()``).
Money columns are ``Numeric(12, 2)`` and read back as ``Decimal``.
The schema is created and changed only by the Alembic migrations in
``shop/db/migrations``; these classes describe it for the services.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship

Base: Any = declarative_base()  # typed as Any: SQLAlchemy 1.4 ships no mypy plugin we use

MONEY = Numeric(12, 2, asdecimal=True)

ORDER_STATUSES = ("pending", "processing", "shipped", "delivered", "cancelled", "returned")
RETURN_STATUSES = ("requested", "received", "refunded", "rejected")
HANDOFF_STATUSES = ("open", "taken", "closed")


class Customer(Base):
    """A shopper who has ordered: identity checks compare against this email."""

    __tablename__ = "customers"

    id = Column(Integer, primary_key=True)
    email = Column(String(254), nullable=False, unique=True)
    name = Column(String(200), nullable=False)
    phone = Column(String(40))
    created_at = Column(DateTime, nullable=False, default=datetime.utcnow)

    orders = relationship("Order", back_populates="customer")


class Category(Base):
    """A catalog shelf; recommendations cap how many products come from one."""

    __tablename__ = "categories"

    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False, unique=True)
    parent_id = Column(Integer, ForeignKey("categories.id"))

    parent = relationship("Category", remote_side=[id])


class Product(Base):
    """A sellable product; price in the shop currency, stock summed over variants."""

    __tablename__ = "products"

    id = Column(Integer, primary_key=True)
    sku = Column(String(40), nullable=False, unique=True)
    name = Column(String(200), nullable=False)
    #: The Chinese display name (merchant import column ``name_zh``; 0007_product_name_zh).
    name_zh = Column(String(200))
    brand = Column(String(100), nullable=False)
    category = Column(String(100), nullable=False, index=True)
    category_id = Column(Integer, ForeignKey("categories.id"))
    price = Column(MONEY, nullable=False)
    stock = Column(Integer, nullable=False, default=0)
    description = Column(Text, nullable=False, default="")
    materials = Column(String(300), nullable=False, default="")
    rating = Column(Numeric(2, 1))
    image_url = Column(String(300))
    created_at = Column(DateTime, nullable=False, default=datetime.utcnow)

    variants = relationship("ProductVariant", back_populates="product", order_by="ProductVariant.id")


class ProductVariant(Base):
    """One size/colour of a product with its own SKU suffix and stock."""

    __tablename__ = "product_variants"

    id = Column(Integer, primary_key=True)
    product_id = Column(Integer, ForeignKey("products.id"), nullable=False, index=True)
    sku = Column(String(60), nullable=False, unique=True)
    size = Column(String(20))
    color = Column(String(40))
    stock = Column(Integer, nullable=False, default=0)

    product = relationship("Product", back_populates="variants")


class Order(Base):
    """An order as shoppers quote it (six-digit ``order_number``) and its status."""

    __tablename__ = "orders"

    id = Column(Integer, primary_key=True)
    order_number = Column(String(6), nullable=False, unique=True)
    customer_id = Column(Integer, ForeignKey("customers.id"), nullable=False, index=True)
    status = Column(String(20), nullable=False, index=True)
    created_at = Column(DateTime, nullable=False, index=True)
    updated_at = Column(DateTime, nullable=False)
    currency = Column(String(3), nullable=False, default="USD")
    subtotal = Column(MONEY, nullable=False)
    shipping_cost = Column(MONEY, nullable=False, default=Decimal("0.00"))
    discount_total = Column(MONEY, nullable=False, default=Decimal("0.00"))
    total = Column(MONEY, nullable=False)
    payment_method = Column(String(40), nullable=False, default="card")
    shipping_name = Column(String(200), nullable=False)
    shipping_street = Column(String(200), nullable=False)
    shipping_city = Column(String(100), nullable=False)
    shipping_postcode = Column(String(20), nullable=False)
    shipping_country = Column(String(2), nullable=False, default="US")

    customer = relationship("Customer", back_populates="orders")
    items = relationship("OrderItem", back_populates="order", order_by="OrderItem.id")
    shipment = relationship("Shipment", back_populates="order", uselist=False)
    returns = relationship("Return", back_populates="order", order_by="Return.id")


class OrderItem(Base):
    """One line of an order at the price paid (refunds are computed from it)."""

    __tablename__ = "order_items"

    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False, index=True)
    product_id = Column(Integer, ForeignKey("products.id"), nullable=False, index=True)
    variant_id = Column(Integer, ForeignKey("product_variants.id"))
    quantity = Column(Integer, nullable=False)
    unit_price = Column(MONEY, nullable=False)

    order = relationship("Order", back_populates="items")
    product = relationship("Product")
    variant = relationship("ProductVariant")


class Shipment(Base):
    """A parcel of an order with its carrier and tracking number."""

    __tablename__ = "shipments"

    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False, unique=True)
    carrier = Column(String(40), nullable=False)
    tracking_number = Column(String(40), nullable=False)
    shipped_at = Column(DateTime, nullable=False)
    eta = Column(DateTime, nullable=False)
    delivered_at = Column(DateTime)

    order = relationship("Order", back_populates="shipment")
    events = relationship("ShipmentEvent", back_populates="shipment", order_by="ShipmentEvent.occurred_at")


class ShipmentEvent(Base):
    """One tracking event of a shipment (what order status shows as the timeline)."""

    __tablename__ = "shipment_events"

    id = Column(Integer, primary_key=True)
    shipment_id = Column(Integer, ForeignKey("shipments.id"), nullable=False, index=True)
    occurred_at = Column(DateTime, nullable=False)
    location = Column(String(100), nullable=False)
    description = Column(String(200), nullable=False)

    shipment = relationship("Shipment", back_populates="events")


class OrderStatusChange(Base):
    """Audit trail: one row per status change of an order, whoever made it."""

    __tablename__ = "order_status_changes"

    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False, index=True)
    from_status = Column(String(20))
    to_status = Column(String(20), nullable=False)
    changed_at = Column(DateTime, nullable=False)
    actor = Column(String(60), nullable=False)
    note = Column(String(300))


class Return(Base):
    """A return (RMA) of an order and where it stands."""

    __tablename__ = "returns"

    id = Column(Integer, primary_key=True)
    rma_number = Column(String(12), nullable=False, unique=True)
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False, index=True)
    status = Column(String(20), nullable=False)
    reason = Column(String(300), nullable=False)
    refund_amount = Column(MONEY, nullable=False)
    created_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False)

    order = relationship("Order", back_populates="returns")
    items = relationship("ReturnItem", back_populates="ret", order_by="ReturnItem.id")


class ReturnItem(Base):
    """One order line in a return, at most once per return."""

    __tablename__ = "return_items"
    __table_args__ = (UniqueConstraint("return_id", "order_item_id"),)

    id = Column(Integer, primary_key=True)
    return_id = Column(Integer, ForeignKey("returns.id"), nullable=False, index=True)
    order_item_id = Column(Integer, ForeignKey("order_items.id"), nullable=False, index=True)
    quantity = Column(Integer, nullable=False)

    ret = relationship("Return", back_populates="items")
    order_item = relationship("OrderItem")


class HandoffRequest(Base):
    """A shopper asked for a person; the console's agents work this queue."""

    __tablename__ = "handoff_requests"
    __table_args__ = (Index("ix_handoff_requests_source_time", "source_key", "created_at"),)

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(40), nullable=False)
    reason = Column(String(300), nullable=False)
    status = Column(String(20), nullable=False, default="open")
    created_at = Column(DateTime, nullable=False)
    taken_by = Column(String(100))
    closed_at = Column(DateTime)
    # Keyed hash of the client address the request came from (rate limit), never the address.
    source_key = Column(String(64))


class LookupAttempt(Base):
    """One identity check; failures drive the lockouts (``shop.identity``).

    A failure counts against its conversation (``sender_id``) and against three keys that
    hold across senders and channels: the order number, the email and the client address,
    each stored only as a keyed hash (``shop.identity.lookup_key``), never in clear.
    """

    __tablename__ = "lookup_attempts"
    __table_args__ = (
        Index("ix_lookup_attempts_sender_time", "sender_id", "created_at"),
        Index("ix_lookup_attempts_order_time", "order_key", "created_at"),
        Index("ix_lookup_attempts_email_time", "email_key", "created_at"),
        Index("ix_lookup_attempts_source_time", "source_key", "created_at"),
    )

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False)
    created_at = Column(DateTime, nullable=False)
    succeeded = Column(Boolean, nullable=False)
    # True while the check is in flight (counted by the gate, not by locks): migration 0006.
    pending = Column(Boolean)
    order_key = Column(String(64))
    email_key = Column(String(64))
    source_key = Column(String(64))
