"""Order status, recent orders and cancellation."""

from __future__ import annotations

import logging
from typing import List

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError
from typing_extensions import override

from actions import services
from actions.base import EventList, VerifiedOrderAction, service_unavailable
from actions.formatting import STATUS_TEXT, line_text, order_list_text, order_status_text
from actions.identity import OrderIdentityFormValidator, verified_customer, verified_order
from shop.money import format_money

logger = logging.getLogger(__name__)

CANCELLABLE = ("pending", "processing")

YES_NO = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]


class ValidateOrderStatusForm(OrderIdentityFormValidator):
    """Order status asks for the order number and email (OrderIdentityFormValidator's rules)."""

    @override
    def name(self) -> str:
        return "validate_order_status_form"


class ValidateListOrdersForm(OrderIdentityFormValidator):
    """A shopper already known (proven order, or signed in on the storefront) is not asked."""

    @override
    def name(self) -> str:
        return "validate_list_orders_form"

    @override
    async def adjust_required_slots(self, slots: List[str], tracker: Tracker) -> List[str]:
        return [] if verified_customer(tracker) is not None else slots


class ValidateCancelOrderForm(OrderIdentityFormValidator):
    """Cancelling asks for the order and its email, then a yes/no only when it can still be cancelled."""

    @override
    def name(self) -> str:
        return "validate_cancel_order_form"

    @override
    async def adjust_required_slots(self, slots: List[str], tracker: Tracker) -> List[str]:
        proven = verified_order(tracker)
        if "cancel_confirmed" in slots and proven:
            customer_id, order_number = proven
            order = await services.run_blocking(services.orders().details, order_number, customer_id)
            if order.status not in CANCELLABLE:
                # Nothing to confirm: action_cancel_order explains why.
                return [s for s in slots if s != "cancel_confirmed"]
        return slots


class ActionOrderStatus(VerifiedOrderAction):
    """Where the proven order is: status, tracking, items and total, with the next steps as buttons."""

    @override
    def name(self) -> str:
        return "action_order_status"

    @override
    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int, order_number: str
    ) -> EventList:
        order = await services.run_blocking(services.orders().details, order_number, customer_id)
        dispatcher.utter_message(text=order_status_text(order))
        if order.status in CANCELLABLE:
            buttons = [{"title": "Cancel this order", "payload": "/cancel_order"}]
        elif order.status == "delivered":
            buttons = [{"title": "Return an item", "payload": "/return_item"}]
        else:
            buttons = []
        buttons.append({"title": "My other orders", "payload": "/list_orders"})
        dispatcher.utter_message(text="Anything else about this order?", buttons=buttons)
        return []


class ActionListOrders(VerifiedOrderAction):
    """The shopper's recent orders; a signed-in shopper needs no order number."""

    @override
    def name(self) -> str:
        return "action_list_orders"

    @override
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> EventList:
        customer_id = verified_customer(tracker)
        if customer_id is None:
            return await super().run(dispatcher, tracker, domain)
        try:
            return await self.act(dispatcher, tracker, customer_id, tracker.get_slot("order_id") or "")
        except SQLAlchemyError:
            return service_unavailable(dispatcher, self.name())

    @override
    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int, order_number: str
    ) -> EventList:
        limit = services.settings().recent_orders_limit
        recent = await services.run_blocking(services.orders().recent_orders, customer_id, limit)
        dispatcher.utter_message(text=order_list_text(recent))
        return []


class ActionAskCancelConfirmed(VerifiedOrderAction):
    """Shows what would be cancelled and asks for a yes/no before anything changes."""

    @override
    def name(self) -> str:
        return "action_ask_cancel_confirmed"

    @override
    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int, order_number: str
    ) -> EventList:
        order = await services.run_blocking(services.orders().details, order_number, customer_id)
        items = "; ".join(line_text(li, order.currency) for li in order.lines)
        dispatcher.utter_message(
            text=(
                f"Order #{order.order_number} ({items}; total {format_money(order.total, order.currency)}) "
                f"is {STATUS_TEXT[order.status]}. Do you want me to cancel it? "
                "You'll get a full refund to your original payment method."
            ),
            buttons=YES_NO,
        )
        return []


class ActionCancelOrder(VerifiedOrderAction):
    """Cancels the proven order once confirmed, or explains why it can't be cancelled."""

    @override
    def name(self) -> str:
        return "action_cancel_order"

    @override
    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int, order_number: str
    ) -> EventList:
        confirmed = tracker.get_slot("cancel_confirmed")
        if confirmed is False:
            dispatcher.utter_message(
                text=f"OK, I haven't changed anything. Order #{order_number} stays as it is."
            )
            return [SlotSet("cancel_confirmed", None)]
        if confirmed is None:
            order = await services.run_blocking(services.orders().details, order_number, customer_id)
            dispatcher.utter_message(text=_not_cancellable_text(order_number, order.status))
            return [SlotSet("cancel_confirmed", None)]
        result = await services.run_blocking(
            services.orders().cancel, order_number, customer_id, f"chat:{tracker.sender_id}"
        )
        if result.outcome == "cancelled":
            dispatcher.utter_message(
                text=(
                    f"Done: order #{order_number} is cancelled. A refund of "
                    f"{format_money(result.refund_amount, result.currency)} goes back to your original "
                    "payment method within 5-7 business days."
                )
            )
        elif result.outcome == "already_cancelled":
            dispatcher.utter_message(text=f"Order #{order_number} is already cancelled; nothing more to do.")
        else:
            dispatcher.utter_message(text=_not_cancellable_text(order_number, result.status))
        return [SlotSet("cancel_confirmed", None)]


def _not_cancellable_text(order_number: str, status: str) -> str:
    if status == "cancelled":
        return f"Order #{order_number} is already cancelled; nothing more to do."
    if status == "shipped":
        return (
            f"Order #{order_number} has already shipped, so I can't cancel it any more. "
            "Once it arrives you can return it within the return window for a refund."
        )
    if status == "delivered":
        return f"Order #{order_number} was already delivered. I can start a return instead if you like."
    return f"Order #{order_number} is {STATUS_TEXT.get(status, status)} and can't be cancelled."
