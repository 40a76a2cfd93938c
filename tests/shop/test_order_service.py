from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from shop.db.models import Order, OrderStatusChange, Product, ProductVariant
from shop.orders import CancelResult, OrderNotFound, OrderService
from tests.conftest import FIXED_NOW


def status_changes(db, order_number: str) -> list[tuple[str | None, str, str]]:
    with db.sessions.begin() as s:
        rows = s.execute(
            select(OrderStatusChange.from_status, OrderStatusChange.to_status, OrderStatusChange.actor)
            .join(Order, Order.id == OrderStatusChange.order_id)
            .where(Order.order_number == order_number)
            .order_by(OrderStatusChange.id)
        )
        return [tuple(r) for r in rows]


def test_details_of_delivered_order_with_tracking(seeded_db, demo, settings):
    order = demo["delivered_recent"]
    details = OrderService(seeded_db.sessions, settings).details(f"#{order.order_number}", order.customer_id)
    assert details.status == "delivered" and details.order_number == order.order_number
    assert details.subtotal == sum(line.unit_price * line.quantity for line in details.lines)
    assert details.total == details.subtotal + details.shipping_cost - details.discount_total
    assert all(isinstance(v, Decimal) for v in (details.subtotal, details.total, details.lines[0].unit_price))
    assert [line.quantity for line in details.lines] == [1, 2]
    assert all(line.returnable_quantity == line.quantity for line in details.lines)
    tracking = details.tracking
    assert tracking is not None and tracking.carrier == "UPS"
    assert tracking.delivered_at == FIXED_NOW - timedelta(days=5)
    assert tracking.last_scan == "Delivered" and tracking.last_scan_at == tracking.delivered_at


def test_details_of_shipped_order_show_last_scan_but_no_delivery(seeded_db, demo, settings):
    order = demo["shipped"]
    tracking = (
        OrderService(seeded_db.sessions, settings).details(order.order_number, order.customer_id).tracking
    )
    assert tracking is not None and tracking.delivered_at is None
    assert tracking.eta > FIXED_NOW and tracking.last_scan_at <= FIXED_NOW
    assert tracking.last_scan and tracking.last_scan_location


def test_details_refused_for_another_customers_order(seeded_db, demo, settings):
    service = OrderService(seeded_db.sessions, settings)
    with pytest.raises(OrderNotFound):
        service.details(demo["delivered_recent"].order_number, demo["delivered_old"].customer_id)


@pytest.mark.parametrize("number", ["999999", "104523' OR '1'='1", "1" * 20_000, None])
def test_details_of_unknown_or_hostile_number_is_not_found(seeded_db, demo, settings, number):
    with pytest.raises(OrderNotFound):
        OrderService(seeded_db.sessions, settings).details(number, demo["delivered_recent"].customer_id)


def test_recent_orders_newest_first_with_limit(seeded_db, demo, settings):
    service = OrderService(seeded_db.sessions, settings)
    alex = demo["delivered_recent"].customer_id
    orders = service.recent_orders(alex)
    assert 2 <= len(orders) <= settings.recent_orders_limit
    assert [o.created_at for o in orders] == sorted((o.created_at for o in orders), reverse=True)
    numbers = [o.order_number for o in orders]
    assert numbers.index(demo["shipped"].order_number) < numbers.index(demo["delivered_recent"].order_number)
    assert len(service.recent_orders(alex, limit=1)) == 1
    summary = next(o for o in orders if o.order_number == demo["delivered_recent"].order_number)
    assert summary.item_count == 3


def test_cancel_pending_order_writes_audit_row_and_restocks(seeded_db, demo, settings):
    order = demo["pending"]
    service = OrderService(seeded_db.sessions, settings)
    lines = service.details(order.order_number, order.customer_id).lines
    with seeded_db.sessions.begin() as s:
        before = s.scalar(select(ProductVariant.stock).where(ProductVariant.sku == lines[0].sku))
        product_before = s.scalar(
            select(Product.stock).join(ProductVariant).where(ProductVariant.sku == lines[0].sku)
        )
    result = service.cancel(order.order_number, order.customer_id, now=FIXED_NOW)
    assert result.outcome == "cancelled" and result.status == "cancelled"
    assert result.refund_amount == service.details(order.order_number, order.customer_id).total
    assert status_changes(seeded_db, order.order_number)[-1] == ("pending", "cancelled", "assistant")
    with seeded_db.sessions.begin() as s:
        assert s.scalar(select(ProductVariant.stock).where(ProductVariant.sku == lines[0].sku)) == before + 1
        assert (
            s.scalar(select(Product.stock).join(ProductVariant).where(ProductVariant.sku == lines[0].sku))
            == product_before + 1
        )


def test_cancel_processing_order(seeded_db, demo, settings):
    order = demo["processing"]
    result = OrderService(seeded_db.sessions, settings).cancel(
        order.order_number, order.customer_id, now=FIXED_NOW
    )
    assert result.outcome == "cancelled"
    assert status_changes(seeded_db, order.order_number)[-1][:2] == ("processing", "cancelled")


def test_repeated_cancel_is_idempotent_and_writes_nothing(seeded_db, demo, settings):
    order = demo["processing"]
    service = OrderService(seeded_db.sessions, settings)
    first = service.cancel(order.order_number, order.customer_id, now=FIXED_NOW)
    audit = status_changes(seeded_db, order.order_number)
    second = service.cancel(order.order_number, order.customer_id, now=FIXED_NOW)
    assert second == CancelResult("already_cancelled", "cancelled", first.refund_amount)
    assert status_changes(seeded_db, order.order_number) == audit


@pytest.mark.parametrize(
    "name,status", [("shipped", "shipped"), ("delivered_recent", "delivered"), ("returned", "returned")]
)
def test_cancel_refused_once_shipped(seeded_db, demo, settings, name, status):
    order = demo[name]
    audit = status_changes(seeded_db, order.order_number)
    result = OrderService(seeded_db.sessions, settings).cancel(
        order.order_number, order.customer_id, now=FIXED_NOW
    )
    assert result == CancelResult("not_cancellable", status, Decimal("0.00"))
    assert status_changes(seeded_db, order.order_number) == audit


def test_cancel_of_someone_elses_order_is_not_found(seeded_db, demo, settings):
    with pytest.raises(OrderNotFound):
        OrderService(seeded_db.sessions, settings).cancel(
            demo["pending"].order_number, demo["delivered_recent"].customer_id
        )


@pytest.mark.postgres
def test_concurrent_cancels_only_one_acts(make_db, settings):
    from shop.identity import IdentityService
    from shop.seed.demo import DEMO_ORDERS
    from tests.conftest import FIXED_NOW as now

    db = make_db("postgresql", True)
    number, email = DEMO_ORDERS["processing"]
    customer_id = IdentityService(db.sessions, settings).verify("c", number, email, now=now).customer_id
    service = OrderService(db.sessions, settings)
    threads_n = 8
    barrier = threading.Barrier(threads_n)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        result = service.cancel(number, customer_id, now=now)
        with lock:
            outcomes.append(result.outcome)

    threads = [threading.Thread(target=worker) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["already_cancelled"] * (threads_n - 1) + ["cancelled"]
    with db.sessions.begin() as s:
        cancels = s.scalar(
            select(func.count())
            .select_from(OrderStatusChange)
            .join(Order, Order.id == OrderStatusChange.order_id)
            .where(Order.order_number == number, OrderStatusChange.to_status == "cancelled")
        )
    assert cancels == 1
