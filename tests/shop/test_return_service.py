from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from shop.db.models import Return, ReturnItem
from shop.orders import OrderNotFound, OrderService
from shop.returns import (
    ItemNotOnOrder,
    ItemNotReturnable,
    NoItemsSelected,
    ReturnError,
    ReturnNotAllowed,
    ReturnService,
)
from shop.seed.demo import DEMO_RMA
from tests.conftest import FIXED_NOW


def return_rows(db) -> tuple[int, int]:
    with db.sessions.begin() as s:
        return (
            s.scalar(select(func.count()).select_from(Return)),
            s.scalar(select(func.count()).select_from(ReturnItem)),
        )


def test_delivered_order_is_eligible_until_window_ends(seeded_db, demo, settings):
    order = demo["delivered_recent"]
    service = ReturnService(seeded_db.sessions, settings)
    verdict = service.eligibility(order.order_number, order.customer_id, now=FIXED_NOW)
    delivered_at = FIXED_NOW - timedelta(days=5)
    assert verdict.eligible and verdict.reason == "ok"
    assert verdict.deadline == delivered_at + timedelta(days=settings.return_window_days)
    assert len(verdict.lines) == 2


def test_return_window_comes_from_settings(seeded_db, demo, settings):
    order = demo["delivered_recent"]
    short = ReturnService(seeded_db.sessions, replace(settings, return_window_days=3))
    verdict = short.eligibility(order.order_number, order.customer_id, now=FIXED_NOW)
    assert not verdict.eligible and verdict.reason == "window_closed"
    assert verdict.deadline == FIXED_NOW - timedelta(days=2)


def test_closed_window_refused(seeded_db, demo, settings):
    order = demo["delivered_old"]
    service = ReturnService(seeded_db.sessions, settings)
    assert service.eligibility(order.order_number, order.customer_id, now=FIXED_NOW).reason == "window_closed"
    item_id = (
        OrderService(seeded_db.sessions, settings)
        .details(order.order_number, order.customer_id)
        .lines[0]
        .order_item_id
    )
    with pytest.raises(ReturnNotAllowed) as err:
        service.create_return(order.order_number, order.customer_id, [item_id], "too big", now=FIXED_NOW)
    assert err.value.reason == "window_closed"


@pytest.mark.parametrize("name,reason", [("shipped", "not_delivered"), ("processing", "not_delivered"),
                                         ("pending", "not_delivered"), ("cancelled", "cancelled"),
                                         ("returned", "nothing_returnable")])  # fmt: skip
def test_not_delivered_refused(seeded_db, demo, settings, name, reason):
    order = demo[name]
    verdict = ReturnService(seeded_db.sessions, settings).eligibility(
        order.order_number, order.customer_id, now=FIXED_NOW
    )
    assert not verdict.eligible and verdict.reason == reason and verdict.lines == ()


def test_create_return_refund_is_exact_and_duplicate_submission_is_idempotent(seeded_db, demo, settings):
    order = demo["delivered_recent"]
    lines = OrderService(seeded_db.sessions, settings).details(order.order_number, order.customer_id).lines
    service = ReturnService(seeded_db.sessions, settings)
    ids = [line.order_item_id for line in lines]
    first = service.create_return(order.order_number, order.customer_id, ids, "  Too   small ", now=FIXED_NOW)
    expected = sum((line.unit_price * line.quantity for line in lines), Decimal("0"))
    assert first.created and first.refund_amount == expected and first.rma_number.startswith("RMA-")
    assert first.rma_number in first.instructions
    rows = return_rows(seeded_db)
    again = service.create_return(
        order.order_number, order.customer_id, list(reversed(ids)), "dup", now=FIXED_NOW
    )
    assert again == replace(first, created=False)
    assert return_rows(seeded_db) == rows

    info = service.status(order.customer_id, rma_number=first.rma_number.lower())
    assert len(info) == 1 and info[0].status == "requested" and info[0].reason == "Too small"
    assert info[0].refund_amount == expected
    assert sorted(q for _, q in info[0].items) == [1, 2]
    assert service.order_number_for_rma(first.rma_number) == order.order_number
    # everything is now held by the open return
    assert (
        service.eligibility(order.order_number, order.customer_id, now=FIXED_NOW).reason
        == "nothing_returnable"
    )


def test_partial_return_then_rest(seeded_db, demo, settings):
    order = demo["delivered_recent"]
    lines = OrderService(seeded_db.sessions, settings).details(order.order_number, order.customer_id).lines
    service = ReturnService(seeded_db.sessions, settings)
    socks = lines[1]
    first = service.create_return(
        order.order_number, order.customer_id, [socks.order_item_id], "x", now=FIXED_NOW
    )
    assert first.refund_amount == socks.unit_price * 2
    with pytest.raises(ItemNotReturnable):
        service.create_return(
            order.order_number,
            order.customer_id,
            [lines[0].order_item_id, socks.order_item_id],
            "x",
            now=FIXED_NOW,
        )
    second = service.create_return(
        order.order_number, order.customer_id, [lines[0].order_item_id], "x", now=FIXED_NOW
    )
    assert second.created and second.rma_number != first.rma_number
    verdict = service.eligibility(order.order_number, order.customer_id, now=FIXED_NOW)
    assert verdict.reason == "nothing_returnable"


def test_wrong_item_ids_rejected(seeded_db, demo, settings):
    order = demo["delivered_recent"]
    other = demo["delivered_old"]
    other_item = (
        OrderService(seeded_db.sessions, settings).details(other.order_number, other.customer_id).lines[0]
    )
    service = ReturnService(seeded_db.sessions, settings)
    rows = return_rows(seeded_db)
    with pytest.raises(ItemNotOnOrder) as err:
        service.create_return(
            order.order_number, order.customer_id, [other_item.order_item_id], "x", now=FIXED_NOW
        )
    assert str(other_item.order_item_id) in str(err.value)
    with pytest.raises(NoItemsSelected):
        service.create_return(order.order_number, order.customer_id, [], "x", now=FIXED_NOW)
    with pytest.raises(ReturnError):
        service.create_return(
            order.order_number, order.customer_id, ["1; DROP TABLE returns"], "x", now=FIXED_NOW
        )  # type: ignore[list-item]
    with pytest.raises(OrderNotFound):
        service.create_return(
            order.order_number, other.customer_id, [other_item.order_item_id], "x", now=FIXED_NOW
        )
    assert return_rows(seeded_db) == rows
    assert issubclass(ItemNotOnOrder, ValueError)


def test_reason_is_trimmed_and_capped(seeded_db, demo, settings):
    order = demo["delivered_recent"]
    lines = OrderService(seeded_db.sessions, settings).details(order.order_number, order.customer_id).lines
    service = ReturnService(seeded_db.sessions, settings)
    result = service.create_return(
        order.order_number, order.customer_id, [lines[0].order_item_id], "z" * 20_000, now=FIXED_NOW
    )
    info = service.status(order.customer_id, order_number=order.order_number)
    assert info[0].rma_number == result.rma_number and info[0].reason == "z" * 300


def test_return_status_of_seeded_refund_and_hostile_lookups(seeded_db, demo, settings):
    order = demo["returned"]
    service = ReturnService(seeded_db.sessions, settings)
    info = service.status(order.customer_id, order_number=order.order_number)
    assert [r.rma_number for r in info] == [DEMO_RMA] and info[0].status == "refunded"
    assert service.status(demo["delivered_recent"].customer_id, rma_number=DEMO_RMA) == []  # not theirs
    assert service.status(order.customer_id, rma_number="RMA-1' OR '1'='1") == []
    assert service.status(order.customer_id, order_number="9" * 20_000) == []
    assert service.order_number_for_rma("x" * 20_000) is None
    assert service.order_number_for_rma("RMA-000000") is None
    assert service.order_number_for_rma(DEMO_RMA.lower().replace("-", " ")) == order.order_number
