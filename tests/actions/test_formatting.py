"""Order and return sentences show money in the order's currency and days via Babel."""

from __future__ import annotations

import locale as process_locale
from datetime import datetime
from decimal import Decimal

from actions.formatting import day, line_text, order_list_text, order_status_text, return_info_text
from shop.orders import OrderDetails, OrderLine, OrderSummary, TrackingInfo
from shop.returns import ReturnInfo, instructions_for

PLACED = datetime(2024, 6, 4, 9, 30, 12, 345678)


def _line(price: str) -> OrderLine:
    return OrderLine(1, "JKT-000089", "Summit Shell", "M", "blue", 2, Decimal(price), 0)


def _order(currency: str, total: str, price: str, status: str = "shipped") -> OrderDetails:
    tracking = TrackingInfo(
        carrier="DHL",
        tracking_number="JD0001",
        shipped_at=PLACED,
        eta=datetime(2024, 6, 7),
        delivered_at=None,
        last_scan="Departed hub",
        last_scan_at=datetime(2024, 6, 5, 18, 0),
        last_scan_location="Leipzig",
    )
    return OrderDetails(
        order_number="104523",
        status=status,
        created_at=PLACED,
        currency=currency,
        subtotal=Decimal(total),
        shipping_cost=Decimal(0),
        discount_total=Decimal(0),
        total=Decimal(total),
        lines=(_line(price),),
        tracking=tracking,
        ship_to_city="Leipzig",
        ship_to_country="DE",
    )


def test_day_is_babel_and_never_the_process_locale() -> None:
    before = process_locale.setlocale(process_locale.LC_TIME)
    try:
        try:
            process_locale.setlocale(process_locale.LC_TIME, "de_DE.UTF-8")
        except process_locale.Error:
            pass
        assert day(PLACED) == "Tue 4 Jun 2024"
    finally:
        process_locale.setlocale(process_locale.LC_TIME, before)
    assert day(None) == "unknown"


def test_usd_order_status_shows_dollars_and_days() -> None:
    text = order_status_text(_order("USD", "119.98", "59.99"))
    assert "Order #104523 from Tue 4 Jun 2024 is on its way." in text
    assert "2 × Summit Shell (M, blue) at $59.99" in text
    assert "Last scan: Departed hub in Leipzig on Wed 5 Jun 2024." in text
    assert "Expected delivery: Fri 7 Jun 2024." in text
    assert text.endswith("Total: $119.98.")


def test_jpy_order_has_yen_and_no_decimals() -> None:
    text = order_status_text(_order("JPY", "12000", "6000"))
    assert "at ¥6,000" in text and "Total: ¥12,000." in text
    assert ".00" not in text


def test_eur_line_and_order_list() -> None:
    assert line_text(_line("1234.5"), "EUR") == "2 × Summit Shell (M, blue) at €1,234.50"
    listing = order_list_text([OrderSummary("104523", "delivered", PLACED, Decimal("9.5"), "EUR", 1)])
    assert listing == "Your recent orders:\n#104523 · Tue 4 Jun 2024 · delivered · 1 item(s) · €9.50"


def test_return_refund_uses_the_orders_currency() -> None:
    info = ReturnInfo(
        "RMA-123456", "104523", "requested", "too small", Decimal("6000"), PLACED, (("Shell", 1),), "JPY"
    )
    assert return_info_text(info).endswith("Refund: ¥6,000.")
    assert "Your refund of ¥6,000 goes back" in instructions_for(
        "RMA-123456", Decimal("6000"), currency="JPY"
    )
    assert "Your refund of $5.50 goes back" in instructions_for("RMA-123456", Decimal("5.5"))
