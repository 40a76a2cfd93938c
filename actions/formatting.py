"""Turning service results into sentences a shopper reads."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, Optional

from shop.clock import DAY, format_date
from shop.money import DEFAULT_CURRENCY, format_money
from shop.orders import OrderDetails, OrderLine, OrderSummary, TrackingInfo
from shop.returns import ReturnInfo

__all__ = [
    "RETURN_STATUS_TEXT",
    "STATUS_TEXT",
    "day",
    "line_text",
    "order_list_text",
    "order_status_text",
    "return_info_text",
    "tracking_text",
]

STATUS_TEXT = {
    "pending": "received and waiting for payment confirmation",
    "processing": "being prepared in our warehouse",
    "shipped": "on its way",
    "delivered": "delivered",
    "cancelled": "cancelled",
    "returned": "returned",
}

RETURN_STATUS_TEXT = {
    "requested": "waiting for the parcel to reach our warehouse",
    "received": "received; the refund is being processed",
    "refunded": "refunded",
    "rejected": "rejected",
}


def day(value: Optional[datetime]) -> str:
    """A day in a chat reply (``Tue 4 Jun 2024``, shop.clock), or "unknown" when not known yet."""
    return format_date(value, pattern=DAY) if value else "unknown"


def line_text(line: OrderLine, currency: str = DEFAULT_CURRENCY) -> str:
    """``2 × Trail Runner (42, blue) at $59.99``: one order line as the shopper ordered it."""
    variant = ", ".join(v for v in (line.size, line.color) if v)
    name = f"{line.name} ({variant})" if variant else line.name
    return f"{line.quantity} × {name} at {format_money(line.unit_price, currency)}"


def tracking_text(tracking: TrackingInfo) -> str:
    """Carrier, tracking number, last scan and the delivery (or expected) day in one line."""
    parts = [f"Carrier: {tracking.carrier}, tracking number {tracking.tracking_number}."]
    if tracking.last_scan:
        where = f" in {tracking.last_scan_location}" if tracking.last_scan_location else ""
        parts.append(f"Last scan: {tracking.last_scan}{where} on {day(tracking.last_scan_at)}.")
    if tracking.delivered_at:
        parts.append(f"Delivered on {day(tracking.delivered_at)}.")
    else:
        parts.append(f"Expected delivery: {day(tracking.eta)}.")
    return " ".join(parts)


def order_status_text(order: OrderDetails) -> str:
    """The whole answer to "where is my order": status, tracking when shipped, items, total."""
    lines = [
        f"Order #{order.order_number} from {day(order.created_at)} is "
        f"{STATUS_TEXT.get(order.status, order.status)}.",
    ]
    if order.tracking and order.status in ("shipped", "delivered", "returned"):
        lines.append(tracking_text(order.tracking))
    lines.append("Items: " + "; ".join(line_text(li, order.currency) for li in order.lines) + ".")
    lines.append(f"Total: {format_money(order.total, order.currency)}.")
    return "\n".join(lines)


def order_list_text(orders: Iterable[OrderSummary]) -> str:
    """The shopper's recent orders, one line each, or a sentence saying there are none."""
    rows = [
        f"#{o.order_number} · {day(o.created_at)} · {STATUS_TEXT.get(o.status, o.status)} · "
        f"{o.item_count} item(s) · {format_money(o.total, o.currency)}"
        for o in orders
    ]
    if not rows:
        return "I don't see any orders on your account yet."
    return "Your recent orders:\n" + "\n".join(rows)


def return_info_text(info: ReturnInfo) -> str:
    """One return's status and refund, in the order's currency."""
    items = ", ".join(f"{qty} × {name}" for name, qty in info.items)
    return (
        f"Return {info.rma_number} for order #{info.order_number} ({items}) is "
        f"{RETURN_STATUS_TEXT.get(info.status, info.status)}. "
        f"Refund: {format_money(info.refund_amount, info.currency)}."
    )
