"""Order lookups and cancellation for a verified customer.

Every method opens one session per unit of work and returns frozen dataclasses,
never ORM objects, so callers (Rasa actions, the console) can't lazy-load by accident.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from shop.clock import naive_utc
from shop.config import Settings
from shop.db.models import (
    Order,
    OrderItem,
    OrderStatusChange,
    Product,
    ProductVariant,
    Return,
    ReturnItem,
    Shipment,
    ShipmentEvent,
)
from shop.money import DEFAULT_CURRENCY, quantize
from shop.pricing.service import release_uses
from shop.text import normalize_order_number

CANCELLABLE = ("pending", "processing")
OPEN_RETURN_STATUSES = ("requested", "received")
#: Returns in these states hold their items: they can't be returned again.
HOLDING_RETURN_STATUSES = ("requested", "received", "refunded")


def money(value: Decimal | int | float | None, currency: str = DEFAULT_CURRENCY) -> Decimal:
    """A stored amount as ``Decimal`` quantized half up to ``currency`` (``shop.money``).

    The database driver may hand ``Numeric`` back as a float (SQLite); it is read through its
    shortest ``repr`` so ``59.99`` stays ``59.99``. ``None`` (no amount) is zero.
    """
    return quantize(Decimal(str(value or 0)), currency)


class OrderNotFound(LookupError):
    """No such order for this customer (deliberately says nothing about other customers)."""


@dataclass(frozen=True)
class TrackingInfo:
    """The shipment of an order and its latest carrier scan (naive UTC times)."""

    carrier: str
    tracking_number: str
    shipped_at: datetime
    eta: datetime
    delivered_at: datetime | None
    last_scan: str | None
    last_scan_at: datetime | None
    last_scan_location: str | None


@dataclass(frozen=True)
class OrderLine:
    """One item of an order as the shopper bought it, and how much of it can still be returned."""

    order_item_id: int
    sku: str
    name: str
    size: str | None
    color: str | None
    quantity: int
    unit_price: Decimal
    #: Units not yet covered by a return; 0 unless the order was delivered.
    returnable_quantity: int
    #: The product's Chinese name, "" when it has none (:func:`shop.catalog_rows.display_name`).
    name_zh: str = ""


@dataclass(frozen=True)
class OrderDetails:
    """Everything a shopper may see about one of their orders; amounts in ``currency``."""

    order_number: str
    status: str
    created_at: datetime
    currency: str
    subtotal: Decimal
    shipping_cost: Decimal
    discount_total: Decimal
    total: Decimal
    lines: tuple[OrderLine, ...]
    tracking: TrackingInfo | None
    ship_to_city: str
    ship_to_country: str


@dataclass(frozen=True)
class OrderSummary:
    """One line of the shopper's order list."""

    order_number: str
    status: str
    created_at: datetime
    total: Decimal
    currency: str
    item_count: int


@dataclass(frozen=True)
class CancelResult:
    """What a cancel did: ``cancelled``, ``already_cancelled`` or ``not_cancellable`` (and why)."""

    outcome: str  # "cancelled" | "already_cancelled" | "not_cancellable"
    status: str
    refund_amount: Decimal
    currency: str = DEFAULT_CURRENCY


# The order-status queries, built once: a statement reused with bound values keeps the cache
# key SQLAlchemy would otherwise derive anew at every call (docs/performance.md, issue 13).
_ORDER = select(Order).where(
    Order.order_number == bindparam("number"), Order.customer_id == bindparam("customer")
)
_ORDER_FOR_UPDATE = _ORDER.with_for_update()
_LINES = (
    select(
        OrderItem,
        Product.sku,
        Product.name,
        Product.name_zh,
        ProductVariant.sku,
        ProductVariant.size,
        ProductVariant.color,
    )
    .join(Product, Product.id == OrderItem.product_id)
    .outerjoin(ProductVariant, ProductVariant.id == OrderItem.variant_id)
    .where(OrderItem.order_id == bindparam("order"))
    .order_by(OrderItem.id)
)
_RETURNED = (
    select(ReturnItem.order_item_id, func.sum(ReturnItem.quantity))
    .join(Return, Return.id == ReturnItem.return_id)
    .where(
        ReturnItem.order_item_id.in_(bindparam("ids", expanding=True)),
        Return.status.in_(HOLDING_RETURN_STATUSES),
    )
    .group_by(ReturnItem.order_item_id)
)
_SHIPMENT = select(Shipment).where(Shipment.order_id == bindparam("order"))
_LAST_SCAN = (
    select(ShipmentEvent)
    .where(ShipmentEvent.shipment_id == bindparam("shipment"))
    .order_by(ShipmentEvent.occurred_at.desc(), ShipmentEvent.id.desc())
    .limit(1)
)


def find_order(s: Session, order_number: str | None, customer_id: int, *, for_update: bool = False) -> Order:
    """The customer's order by its number, or ``OrderNotFound`` (also for malformed numbers)."""
    number = normalize_order_number(order_number)
    if number is None or not isinstance(customer_id, int):
        raise OrderNotFound(order_number)
    stmt = _ORDER_FOR_UPDATE if for_update else _ORDER
    order = s.scalars(stmt, {"number": number, "customer": customer_id}).one_or_none()
    if order is None:
        raise OrderNotFound(number)
    return order


def returned_quantities(s: Session, item_ids: Iterable[int]) -> dict[int, int]:
    """Units per order item already held by a return that was not rejected."""
    ids = list(item_ids)
    if not ids:
        return {}
    rows = s.execute(_RETURNED, {"ids": ids})
    return {item_id: int(qty or 0) for item_id, qty in rows}


def order_lines(s: Session, order: Order) -> tuple[OrderLine, ...]:
    """The order's lines in order, with variant details and the quantity still returnable."""
    rows = s.execute(_LINES, {"order": order.id}).all()
    held = returned_quantities(s, (row[0].id for row in rows))
    returnable_status = order.status in ("delivered", "returned")
    return tuple(
        OrderLine(
            order_item_id=item.id,
            sku=variant_sku or sku,
            name=name,
            size=size,
            color=color,
            quantity=item.quantity,
            unit_price=money(item.unit_price, order.currency),
            returnable_quantity=max(0, item.quantity - held.get(item.id, 0)) if returnable_status else 0,
            name_zh=name_zh or "",
        )
        for item, sku, name, name_zh, variant_sku, size, color in rows
    )


def _tracking(s: Session, order_id: int) -> TrackingInfo | None:
    shipment = s.scalars(_SHIPMENT, {"order": order_id}).one_or_none()
    if shipment is None:
        return None
    last = s.scalars(_LAST_SCAN, {"shipment": shipment.id}).first()
    return TrackingInfo(
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        shipped_at=shipment.shipped_at,
        eta=shipment.eta,
        delivered_at=shipment.delivered_at,
        last_scan=last.description if last else None,
        last_scan_at=last.occurred_at if last else None,
        last_scan_location=last.location if last else None,
    )


class OrderService:
    """Order lookups and cancellation for a customer whose identity the caller has proven."""

    def __init__(self, sessionmaker: sessionmaker, settings: Settings | None = None) -> None:
        self._sessions = sessionmaker
        self._settings = settings or Settings.from_env()

    def details(self, order_number: str, customer_id: int) -> OrderDetails:
        """Everything about one of the customer's orders; ``OrderNotFound`` otherwise."""
        with self._sessions.begin() as s:
            order = find_order(s, order_number, customer_id)
            return OrderDetails(
                order_number=order.order_number,
                status=order.status,
                created_at=order.created_at,
                currency=order.currency,
                subtotal=money(order.subtotal, order.currency),
                shipping_cost=money(order.shipping_cost, order.currency),
                discount_total=money(order.discount_total, order.currency),
                total=money(order.total, order.currency),
                lines=order_lines(s, order),
                tracking=_tracking(s, order.id),
                ship_to_city=order.shipping_city,
                ship_to_country=order.shipping_country,
            )

    def recent_orders(self, customer_id: int, limit: int | None = None) -> list[OrderSummary]:
        """The customer's latest orders, newest first (default ``recent_orders_limit``)."""
        limit = self._settings.recent_orders_limit if limit is None else max(0, int(limit))
        with self._sessions.begin() as s:
            counts = (
                select(OrderItem.order_id, func.sum(OrderItem.quantity).label("n"))
                .group_by(OrderItem.order_id)
                .subquery()
            )
            rows = s.execute(
                select(Order, counts.c.n)
                .outerjoin(counts, counts.c.order_id == Order.id)
                .where(Order.customer_id == customer_id)
                .order_by(Order.created_at.desc(), Order.id.desc())
                .limit(limit)
            ).all()
            return [
                OrderSummary(
                    o.order_number,
                    o.status,
                    o.created_at,
                    money(o.total, o.currency),
                    o.currency,
                    int(n or 0),
                )
                for o, n in rows
            ]

    def cancel(
        self, order_number: str, customer_id: int, actor: str = "assistant", now: datetime | None = None
    ) -> CancelResult:
        """Cancel a pending/processing order, restock it and audit it, in one transaction.

        The status flip is a conditional UPDATE, so of two concurrent cancels only one acts.
        """
        now = naive_utc(now)
        with self._sessions.begin() as s:
            order = find_order(s, order_number, customer_id)
            from_status = order.status
            result = s.execute(
                update(Order)
                .where(Order.id == order.id, Order.status.in_(CANCELLABLE))
                .values(status="cancelled", updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:
                status = s.scalar(select(Order.status).where(Order.id == order.id))
                if status == "cancelled":
                    return CancelResult(
                        "already_cancelled", "cancelled", money(order.total, order.currency), order.currency
                    )
                return CancelResult("not_cancellable", str(status), money(0, order.currency), order.currency)
            s.execute(
                insert(OrderStatusChange).values(
                    order_id=order.id,
                    from_status=from_status,
                    to_status="cancelled",
                    changed_at=now,
                    actor=actor[:60] or "assistant",
                    note="Cancelled at customer request",
                )
            )
            for item in s.scalars(select(OrderItem).where(OrderItem.order_id == order.id)):
                if item.variant_id is not None:
                    s.execute(
                        update(ProductVariant)
                        .where(ProductVariant.id == item.variant_id)
                        .values(stock=ProductVariant.stock + item.quantity)
                        .execution_options(synchronize_session=False)
                    )
                s.execute(
                    update(Product)
                    .where(Product.id == item.product_id)
                    .values(stock=Product.stock + item.quantity)
                    .execution_options(synchronize_session=False)
                )
            # Give the order's coupon uses back in the same transaction as the status flip.
            release_uses(s, order.id, now)
            return CancelResult("cancelled", "cancelled", money(order.total, order.currency), order.currency)
