"""Turning order and return results into sentences a shopper reads, in their language.

Every sentence is a template of :mod:`shop.messages`; money, days and counts are formatted
there for the language's locale. ``lang`` defaults to English, the words the shop said
before it spoke Chinese.
"""

from __future__ import annotations

from datetime import datetime
from typing import Dict, Iterable, Mapping, Optional

from shop import messages as m
from shop.catalog_rows import display_name
from shop.money import DEFAULT_CURRENCY
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
    "return_status",
    "scan_text",
    "status",
    "tracking_text",
]

#: The carriers' scan events the shop records (``shipment_events.description``) -> catalogue key;
#: any other scan text is shown as the carrier wrote it.
SCAN_KEYS: Mapping[str, str] = {
    "Picked up by carrier": "scan.picked_up",
    "Departed facility": "scan.departed",
    "Arrived at facility": "scan.arrived",
    "Out for delivery": "scan.out_for_delivery",
    "Delivered": "scan.delivered",
}

ORDER_STATUSES = ("pending", "processing", "shipped", "delivered", "cancelled", "returned")
RETURN_STATUSES = ("requested", "received", "refunded", "rejected")

#: English words for each status (kept for callers that read them; sentences use :func:`status`).
STATUS_TEXT: Mapping[str, str] = {s: m.text(f"order.status.{s}", "en") for s in ORDER_STATUSES}
RETURN_STATUS_TEXT: Mapping[str, str] = {s: m.text(f"return.status.{s}", "en") for s in RETURN_STATUSES}


def status(value: str, lang: str = "en") -> str:
    """An order status in words (``on its way``, ``运输途中``); an unknown one as it is."""
    return m.text(f"order.status.{value}", lang) if value in ORDER_STATUSES else value


def return_status(value: str, lang: str = "en") -> str:
    """A return status in words; an unknown one as it is."""
    return m.text(f"return.status.{value}", lang) if value in RETURN_STATUSES else value


def scan_text(scan: str, lang: str = "en") -> str:
    """A carrier's scan event in ``lang`` (``Departed facility`` -> ``已离开转运中心``)."""
    key = SCAN_KEYS.get(scan.strip())
    return m.text(key, lang) if key else scan


def day(value: Optional[datetime], lang: str = "en") -> str:
    """A day in a chat reply (``Tue 4 Jun 2024``, ``2024年6月4日周二``), or "unknown" when not known yet."""
    return m.day(value, lang)


def variant_name(name: str, variant: str, lang: str = "en") -> str:
    """``Trail Runner (42, blue)``: a product's name with its variant, when it has one."""
    return m.text("fmt.with_variant", lang, name=name, variant=variant) if variant else name


def line_text(line: OrderLine, currency: str = DEFAULT_CURRENCY, lang: str = "en") -> str:
    """``2 × Trail Runner (42, blue) at $59.99``: one order line as the shopper ordered it."""
    variant = m.join("comma", (v for v in (line.size, line.color) if v), lang)
    return m.text(
        "order.line",
        lang,
        quantity=m.number(line.quantity, lang),
        name=variant_name(display_name(line, lang), variant, lang),
        price=m.money(line.unit_price, lang, currency),
    )


def tracking_text(tracking: TrackingInfo, lang: str = "en") -> str:
    """Carrier, tracking number, last scan and the delivery (or expected) day in one line."""
    parts = [m.text("tracking.carrier", lang, carrier=tracking.carrier, number=tracking.tracking_number)]
    if tracking.last_scan:
        where = (
            m.text("tracking.scan_place", lang, place=tracking.last_scan_location)
            if tracking.last_scan_location
            else ""
        )
        parts.append(
            m.text(
                "tracking.last_scan",
                lang,
                scan=scan_text(tracking.last_scan, lang),
                where=where,
                day=day(tracking.last_scan_at, lang),
            )
        )
    if tracking.delivered_at:
        parts.append(m.text("tracking.delivered", lang, day=day(tracking.delivered_at, lang)))
    else:
        parts.append(m.text("tracking.expected", lang, day=day(tracking.eta, lang)))
    return m.join("sentence", parts, lang)


def _order_words(order: OrderDetails | OrderSummary, lang: str) -> Dict[str, str]:
    """The number, day and status every sentence about one order names, in ``lang``."""
    return {
        "order": order.order_number,
        "day": day(order.created_at, lang),
        "status": status(order.status, lang),
    }


def order_status_text(order: OrderDetails, lang: str = "en") -> str:
    """The whole answer to "where is my order": status, tracking when shipped, items, total."""
    lines = [m.text("order.headline", lang, **_order_words(order, lang))]
    if order.tracking and order.status in ("shipped", "delivered", "returned"):
        lines.append(tracking_text(order.tracking, lang))
    items = m.join("list", (line_text(li, order.currency, lang) for li in order.lines), lang)
    lines.append(m.text("order.items", lang, items=items))
    lines.append(m.text("order.total", lang, total=m.money(order.total, lang, order.currency)))
    return "\n".join(lines)


def order_list_text(orders: Iterable[OrderSummary], lang: str = "en") -> str:
    """The shopper's recent orders, one line each, or a sentence saying there are none."""
    rows = [
        m.text(
            "orders.row",
            lang,
            **_order_words(o, lang),
            count=m.number(o.item_count, lang),
            total=m.money(o.total, lang, o.currency),
        )
        for o in orders
    ]
    if not rows:
        return m.text("orders.none", lang)
    return m.text("orders.recent", lang, rows="\n".join(rows))


def return_info_text(info: ReturnInfo, lang: str = "en") -> str:
    """One return's status and refund, in the order's currency."""
    items = m.join(
        "comma",
        (
            m.text("fmt.quantity_name", lang, quantity=m.number(qty, lang), name=name)
            for name, qty in info.items
        ),
        lang,
    )
    return m.text(
        "return.info",
        lang,
        rma=info.rma_number,
        order=info.order_number,
        items=items,
        status=return_status(info.status, lang),
        refund=m.money(info.refund_amount, lang, info.currency),
    )
