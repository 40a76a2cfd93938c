"""Turning service results into sentences a shopper reads."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Iterable, Optional

from shop.orders import OrderDetails, OrderLine, OrderSummary, TrackingInfo
from shop.returns import ReturnInfo

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}

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


def money(amount: Decimal, currency: str = "USD") -> str:
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{amount:,.2f}" if symbol else f"{amount:,.2f} {currency}"


def day(value: Optional[datetime]) -> str:
    return value.strftime("%a %d %b %Y") if value else "unknown"


def line_text(line: OrderLine, currency: str = "USD") -> str:
    variant = ", ".join(v for v in (line.size, line.color) if v)
    name = f"{line.name} ({variant})" if variant else line.name
    return f"{line.quantity} × {name} at {money(line.unit_price, currency)}"


def tracking_text(tracking: TrackingInfo) -> str:
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
    lines = [
        f"Order #{order.order_number} from {day(order.created_at)} is "
        f"{STATUS_TEXT.get(order.status, order.status)}.",
    ]
    if order.tracking and order.status in ("shipped", "delivered", "returned"):
        lines.append(tracking_text(order.tracking))
    lines.append("Items: " + "; ".join(line_text(li, order.currency) for li in order.lines) + ".")
    lines.append(f"Total: {money(order.total, order.currency)}.")
    return "\n".join(lines)


def order_list_text(orders: Iterable[OrderSummary]) -> str:
    rows = [
        f"#{o.order_number} · {day(o.created_at)} · {STATUS_TEXT.get(o.status, o.status)} · "
        f"{o.item_count} item(s) · {money(o.total, o.currency)}"
        for o in orders
    ]
    if not rows:
        return "I don't see any orders on your account yet."
    return "Your recent orders:\n" + "\n".join(rows)


def return_info_text(info: ReturnInfo) -> str:
    items = ", ".join(f"{qty} × {name}" for name, qty in info.items)
    return (
        f"Return {info.rma_number} for order #{info.order_number} ({items}) is "
        f"{RETURN_STATUS_TEXT.get(info.status, info.status)}. "
        f"Refund: {money(info.refund_amount)}."
    )
