"""Return eligibility, creating returns (RMAs) and reporting their status.

``create_return`` re-checks everything inside its transaction, with the order row
locked on PostgreSQL, and is idempotent: resubmitting the same items returns the
open RMA instead of opening a second one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from shop.clock import naive_utc as utc_naive
from shop.config import Settings
from shop.db.models import Order, OrderItem, Product, Return, ReturnItem, Shipment
from shop.money import DEFAULT_CURRENCY, format_money
from shop.orders import (
    OPEN_RETURN_STATUSES,
    OrderLine,
    OrderNotFound,
    find_order,
    money,
    order_lines,
)
from shop.text import normalize_order_number, normalize_rma

__all__ = [
    "Eligibility",
    "ItemNotOnOrder",
    "ItemNotReturnable",
    "NoItemsSelected",
    "OrderNotFound",
    "ReturnError",
    "ReturnInfo",
    "ReturnNotAllowed",
    "ReturnResult",
    "ReturnService",
]

MAX_REASON_CHARS = 300
MAX_ITEMS = 100


class ReturnError(ValueError):
    """A return request that can't be accepted; the message says why."""


class ReturnNotAllowed(ReturnError):
    """The order as a whole can't be returned (``reason``: not delivered, window closed, ...)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"this order can't be returned: {reason}")
        self.reason = reason


class NoItemsSelected(ReturnError):
    """The request names no item."""

    def __init__(self) -> None:
        super().__init__("choose at least one item to return")


class ItemNotOnOrder(ReturnError):
    """Some chosen items are not on this order (``item_ids``)."""

    def __init__(self, item_ids: list[int]) -> None:
        super().__init__(f"items {item_ids} are not on this order")
        self.item_ids = item_ids


class ItemNotReturnable(ReturnError):
    """Some chosen items are already held by another return (``item_ids``)."""

    def __init__(self, item_ids: list[int]) -> None:
        super().__init__(f"items {item_ids} have already been returned")
        self.item_ids = item_ids


@dataclass(frozen=True)
class Eligibility:
    """Whether an order can be returned now, why not, the deadline and the returnable lines."""

    eligible: bool
    reason: str  # "ok" | "not_delivered" | "window_closed" | "nothing_returnable" | "cancelled"
    deadline: datetime | None
    lines: tuple[OrderLine, ...]  # the returnable ones
    currency: str = DEFAULT_CURRENCY


@dataclass(frozen=True)
class ReturnInfo:
    """One return (RMA) as the shopper sees it: status, refund and items."""

    rma_number: str
    order_number: str
    status: str
    reason: str
    refund_amount: Decimal
    created_at: datetime
    items: tuple[tuple[str, int], ...]  # (product name, quantity)
    currency: str = DEFAULT_CURRENCY


@dataclass(frozen=True)
class ReturnResult:
    """The RMA a request opened (or found already open), the refund and what to do next."""

    rma_number: str
    refund_amount: Decimal
    instructions: str
    created: bool
    currency: str = DEFAULT_CURRENCY


def clean_reason(reason: str | None) -> str:
    """Whitespace collapsed, capped at 300 chars; "Not specified" when empty."""
    text = " ".join(str(reason or "")[: MAX_REASON_CHARS * 4].split())
    return text[:MAX_REASON_CHARS] or "Not specified"


def instructions_for(
    rma: str, refund: Decimal, window_days: int = 14, currency: str = DEFAULT_CURRENCY
) -> str:
    """What the shopper does next with the parcel, and when the refund arrives."""
    return (
        f"Pack the items with {rma} written on the parcel and drop it off within {window_days} days "
        "using the prepaid label we email you. "
        f"Your refund of {format_money(refund, currency)} goes back to your original payment method within "
        "5 business days after the parcel arrives."
    )


class ReturnService:
    """Return eligibility, opening returns (RMAs) and reporting them to the customer."""

    def __init__(self, sessionmaker: sessionmaker, settings: Settings | None = None) -> None:
        self._sessions = sessionmaker
        self._settings = settings or Settings.from_env()

    def _eligibility(self, s: Session, order: Order, now: datetime) -> Eligibility:
        if order.status == "cancelled":
            return Eligibility(False, "cancelled", None, (), order.currency)
        if order.status not in ("delivered", "returned"):
            return Eligibility(False, "not_delivered", None, (), order.currency)
        delivered_at = s.scalar(select(Shipment.delivered_at).where(Shipment.order_id == order.id))
        deadline = (delivered_at or order.updated_at) + timedelta(days=self._settings.return_window_days)
        if now > deadline:
            return Eligibility(False, "window_closed", deadline, (), order.currency)
        lines = tuple(line for line in order_lines(s, order) if line.returnable_quantity > 0)
        if not lines:
            return Eligibility(False, "nothing_returnable", deadline, (), order.currency)
        return Eligibility(True, "ok", deadline, lines, order.currency)

    def eligibility(self, order_number: str, customer_id: int, now: datetime | None = None) -> Eligibility:
        """Can this order be returned now, until when, and which lines?"""
        with self._sessions.begin() as s:
            return self._eligibility(s, find_order(s, order_number, customer_id), utc_naive(now))

    def create_return(
        self,
        order_number: str,
        customer_id: int,
        order_item_ids: list[int],
        reason: str,
        now: datetime | None = None,
    ) -> ReturnResult:
        """Open a return for the whole returnable quantity of the chosen lines.

        Raises ``OrderNotFound`` or a ``ReturnError`` subclass (a ``ValueError``).
        """
        now = utc_naive(now)
        try:
            wanted = {int(i) for i in list(order_item_ids or [])[:MAX_ITEMS]}
        except (TypeError, ValueError):
            raise ItemNotOnOrder([]) from None
        if not wanted:
            raise NoItemsSelected()
        with self._sessions.begin() as s:
            order = find_order(s, order_number, customer_id, for_update=True)
            on_order = set(s.scalars(select(OrderItem.id).where(OrderItem.order_id == order.id)))
            missing = sorted(wanted - on_order)
            if missing:
                raise ItemNotOnOrder(missing)
            existing = self._open_return_with_items(s, order.id, wanted)
            if existing is not None:
                refund = money(existing.refund_amount, order.currency)
                return ReturnResult(
                    existing.rma_number,
                    refund,
                    instructions_for(existing.rma_number, refund, currency=order.currency),
                    False,
                    order.currency,
                )
            verdict = self._eligibility(s, order, now)
            if not verdict.eligible:
                if verdict.reason == "nothing_returnable":
                    raise ItemNotReturnable(sorted(wanted))
                raise ReturnNotAllowed(verdict.reason)
            returnable = {line.order_item_id: line for line in verdict.lines}
            blocked = sorted(wanted - returnable.keys())
            if blocked:
                raise ItemNotReturnable(blocked)
            chosen = [returnable[i] for i in sorted(wanted)]
            refund = money(
                sum((line.unit_price * line.returnable_quantity for line in chosen), Decimal("0")),
                order.currency,
            )
            rma = self._new_rma(s)
            return_id = s.execute(
                insert(Return).values(
                    rma_number=rma,
                    order_id=order.id,
                    status="requested",
                    reason=clean_reason(reason),
                    refund_amount=refund,
                    created_at=now,
                    updated_at=now,
                )
            ).inserted_primary_key[0]
            s.execute(
                insert(ReturnItem),
                [
                    {
                        "return_id": return_id,
                        "order_item_id": line.order_item_id,
                        "quantity": line.returnable_quantity,
                    }
                    for line in chosen
                ],
            )
            return ReturnResult(
                rma, refund, instructions_for(rma, refund, currency=order.currency), True, order.currency
            )

    @staticmethod
    def _open_return_with_items(s: Session, order_id: int, item_ids: set[int]) -> Return | None:
        open_returns = s.scalars(
            select(Return).where(Return.order_id == order_id, Return.status.in_(OPEN_RETURN_STATUSES))
        ).all()
        for ret in open_returns:
            items = set(s.scalars(select(ReturnItem.order_item_id).where(ReturnItem.return_id == ret.id)))
            if items == item_ids:
                return ret
        return None

    @staticmethod
    def _new_rma(s: Session) -> str:
        for _ in range(20):
            rma = f"RMA-{secrets.randbelow(900000) + 100000}"
            if s.scalar(select(Return.id).where(Return.rma_number == rma)) is None:
                return rma
        raise RuntimeError("could not allocate a free RMA number")

    def status(
        self, customer_id: int, order_number: str | None = None, rma_number: str | None = None
    ) -> list[ReturnInfo]:
        """The customer's returns, newest first, optionally for one order or one RMA."""
        stmt = select(Return, Order.order_number, Order.currency).join(Order, Order.id == Return.order_id)
        stmt = stmt.where(Order.customer_id == customer_id)
        if order_number is not None:
            number = normalize_order_number(order_number)
            if number is None:
                return []
            stmt = stmt.where(Order.order_number == number)
        if rma_number is not None:
            rma = normalize_rma(rma_number)
            if rma is None:
                return []
            stmt = stmt.where(Return.rma_number == rma)
        with self._sessions.begin() as s:
            rows = s.execute(stmt.order_by(Return.created_at.desc(), Return.id.desc())).all()
            result = []
            for ret, number, currency in rows:
                items = s.execute(
                    select(Product.name, ReturnItem.quantity)
                    .join(OrderItem, OrderItem.id == ReturnItem.order_item_id)
                    .join(Product, Product.id == OrderItem.product_id)
                    .where(ReturnItem.return_id == ret.id)
                    .order_by(ReturnItem.id)
                ).all()
                result.append(
                    ReturnInfo(
                        rma_number=ret.rma_number,
                        order_number=str(number),
                        status=ret.status,
                        reason=ret.reason,
                        refund_amount=money(ret.refund_amount, currency),
                        created_at=ret.created_at,
                        items=tuple((name, int(qty)) for name, qty in items),
                        currency=currency,
                    )
                )
            return result

    def order_number_for_rma(self, rma_number: str) -> str | None:
        """Which order an RMA belongs to (the caller still verifies the shopper)."""
        rma = normalize_rma(rma_number)
        if rma is None:
            return None
        with self._sessions.begin() as s:
            return s.scalar(
                select(Order.order_number)
                .join(Return, Return.order_id == Order.id)
                .where(Return.rma_number == rma)
            )
