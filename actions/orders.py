"""Order status, recent orders and cancellation."""

from __future__ import annotations

import logging
from typing import Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError
from typing_extensions import override

from actions import services
from actions.base import EventList, VerifiedOrderAction, service_unavailable
from actions.formatting import line_text, order_list_text, order_status_text, status
from actions.identity import verified_customer, verified_order
from actions.identity_form import OrderIdentityFormValidator
from actions.language import language
from shop import messages as m

logger = logging.getLogger(__name__)

CANCELLABLE = ("pending", "processing")


def yes_no(lang: str = "en") -> List[Dict[str, str]]:
    """Yes / No buttons titled in ``lang``."""
    return [
        {"title": m.text("button.yes", lang), "payload": "/affirm"},
        {"title": m.text("button.no", lang), "payload": "/deny"},
    ]


YES_NO = yes_no()


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
        lang = language(tracker)
        order = await services.run_blocking(services.orders().details, order_number, customer_id)
        dispatcher.utter_message(text=order_status_text(order, lang))
        if order.status in CANCELLABLE:
            buttons = [{"title": m.text("button.cancel_order", lang), "payload": "/cancel_order"}]
        elif order.status == "delivered":
            buttons = [{"title": m.text("button.return_item", lang), "payload": "/return_item"}]
        else:
            buttons = []
        buttons.append({"title": m.text("button.other_orders", lang), "payload": "/list_orders"})
        dispatcher.utter_message(text=m.text("order.anything_else", lang), buttons=buttons)
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
        dispatcher.utter_message(text=order_list_text(recent, language(tracker)))
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
        lang = language(tracker)
        order = await services.run_blocking(services.orders().details, order_number, customer_id)
        items = m.join("list", (line_text(li, order.currency, lang) for li in order.lines), lang)
        dispatcher.utter_message(
            text=m.text(
                "cancel.confirm",
                lang,
                order=order.order_number,
                items=items,
                total=m.money(order.total, lang, order.currency),
                status=status(order.status, lang),
            ),
            buttons=yes_no(lang),
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
        lang = language(tracker)
        confirmed = tracker.get_slot("cancel_confirmed")
        if confirmed is False:
            dispatcher.utter_message(text=m.text("cancel.kept", lang, order=order_number))
            return [SlotSet("cancel_confirmed", None)]
        if confirmed is None:
            order = await services.run_blocking(services.orders().details, order_number, customer_id)
            dispatcher.utter_message(text=_not_cancellable_text(order_number, order.status, lang))
            return [SlotSet("cancel_confirmed", None)]
        result = await services.run_blocking(
            services.orders().cancel, order_number, customer_id, f"chat:{tracker.sender_id}"
        )
        if result.outcome == "cancelled":
            refund = m.money(result.refund_amount, lang, result.currency)
            dispatcher.utter_message(text=m.text("cancel.done", lang, order=order_number, refund=refund))
        elif result.outcome == "already_cancelled":
            dispatcher.utter_message(text=m.text("cancel.already", lang, order=order_number))
        else:
            dispatcher.utter_message(text=_not_cancellable_text(order_number, result.status, lang))
        return [SlotSet("cancel_confirmed", None)]


def _not_cancellable_text(order_number: str, order_status: str, lang: str = "en") -> str:
    if order_status == "cancelled":
        return m.text("cancel.already", lang, order=order_number)
    if order_status == "shipped":
        return m.text("cancel.shipped", lang, order=order_number)
    if order_status == "delivered":
        return m.text("cancel.delivered", lang, order=order_number)
    return m.text("cancel.not_possible", lang, order=order_number, status=status(order_status, lang))
