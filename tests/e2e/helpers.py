"""Small helpers for reading bot replies and picking seeded orders."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict, List, Tuple

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from shop.db.models import Customer, Order, OrderStatusChange, Return, Shipment
from shop.seed.demo import DEMO_ORDERS

Replies = List[Dict[str, Any]]


def text_of(replies: Replies) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def payloads(replies: Replies) -> List[str]:
    return [b["payload"] for r in replies for b in r.get("buttons") or []]


# The demo orders are used by name (and some get locked by guessing tests): never handed out.
_taken: set[str] = {number for number, _ in DEMO_ORDERS.values()}


def pick_order(shop_db: sessionmaker, status: str, *, returnable: bool = False) -> Tuple[str, str]:
    """A seeded order in ``status`` that no other test used yet: (order number, email)."""
    with shop_db() as s:
        query = (
            select(Order.order_number, Customer.email)
            .join(Customer, Customer.id == Order.customer_id)
            .where(Order.status == status)
            .order_by(Order.order_number)
        )
        if returnable:
            recent = datetime.utcnow() - timedelta(days=20)
            query = (
                query.join(Shipment, Shipment.order_id == Order.id)
                .where(Shipment.delivered_at > recent)
                .where(~select(Return.id).where(Return.order_id == Order.id).exists())
            )
        for number, email in s.execute(query):
            if number not in _taken:
                _taken.add(number)
                return number, email
    raise LookupError(f"no unused {status} order in the seed")


def cancellation_record(shop_db: sessionmaker, number: str) -> Tuple[str, int]:
    """The order's status now and how many times a change to ``cancelled`` was written."""
    with shop_db() as s:
        order = s.scalars(select(Order).where(Order.order_number == number)).one()
        changes = s.scalars(
            select(OrderStatusChange).where(
                OrderStatusChange.order_id == order.id, OrderStatusChange.to_status == "cancelled"
            )
        ).all()
        return order.status, len(changes)
