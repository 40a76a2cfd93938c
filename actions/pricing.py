"""Coupons, deals and the cart in chat: adapters over :class:`shop.pricing.chat.PricingChat`.

Each action takes the code / product from the message (or the slots), makes one call to
the pricing chat service off the event loop, and sends the text :mod:`actions.pricing_text`
writes for the result in the shopper's language (the sentences of ``shop.pricing.replies``,
from the message catalogue). Amounts and refusal reasons come from pricing, so chat and
checkout agree.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Dict, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions import services
from actions.base import EventList, ShopAction, service_unavailable
from actions.identity import verified_customer
from actions.language import language
from actions.pricing_text import change_text, code_result_text, offers_text, quote_text
from shop import messages as m
from shop.catalog_query import canonical_size
from shop.clock import naive_utc
from shop.pricing.chat import CartChange, CodeResult
from shop.pricing.codes import normalize_code
from shop.pricing.model import Quote
from shop.pricing.parsing import code_in_text, quantity_in_text

logger = logging.getLogger(__name__)


def cart_button(lang: str = "en") -> Dict[str, str]:
    """The "What's in my cart?" button, titled in ``lang``."""
    return {"title": m.text("button.cart", lang), "payload": "/view_cart"}


def deals_button(lang: str = "en") -> Dict[str, str]:
    """The "Current deals" button, titled in ``lang``."""
    return {"title": m.text("button.deals", lang), "payload": "/ask_discounts"}


CART_BUTTON = cart_button()
DEALS_BUTTON = deals_button()


def _now() -> datetime:
    return naive_utc()


def _latest(tracker: Tracker, entity: str) -> Optional[str]:
    values = list(tracker.get_latest_entity_values(entity))
    return str(values[-1]) if values else None


def _text(tracker: Tracker) -> str:
    text = tracker.latest_message.get("text") or ""
    return "" if text.startswith("/") else text


async def _say_change(dispatcher: CollectingDispatcher, change: CartChange, lang: str) -> None:
    labels: Dict[str, str] = {}
    names: Dict[str, str] = {}
    if change.summary is not None:
        summary, chat = change.summary, services.pricing_chat()
        labels, names = await services.run_blocking(
            lambda: (chat.variant_labels(summary), chat.display_names(summary, lang))
        )
    dispatcher.utter_message(text=change_text(change, labels, lang, names))


class PricingAction(ShopAction):
    """Turns a database failure into the shared "can't look that up right now"."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> EventList:
        """Run :meth:`act` for the verified customer (or none)."""
        try:
            return await self.act(dispatcher, tracker, verified_customer(tracker))
        except SQLAlchemyError:
            return service_unavailable(dispatcher, self.name())

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: Optional[int]
    ) -> EventList:  # pragma: no cover - overridden
        """The action's one turn; ``customer_id`` is None for an unverified shopper."""
        raise NotImplementedError


class ActionApplyCoupon(PricingAction):
    """ "apply SAVE10", "how much with code X for the <product>", "why doesn't my code work?"."""

    def name(self) -> str:
        """The action name the domain lists."""
        return "action_apply_coupon"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: Optional[int]
    ) -> EventList:
        """Answer this turn (see the class docstring)."""
        raw = code_in_text(_text(tracker), _latest(tracker, "coupon_code")) or tracker.get_slot("coupon_code")
        if not raw:
            dispatcher.utter_message(response="utter_ask_coupon_code")
            return []
        chat = services.pricing_chat()
        product = _latest(tracker, "product")

        lang = language(tracker)

        def check() -> tuple[CodeResult, Dict[str, str], Dict[str, str]]:
            result = chat.try_code(tracker.sender_id, customer_id, str(raw), _now(), product=product)
            if result.quote is None:
                return result, {}, {}
            return result, chat.variant_labels(result.quote), chat.display_names(result.quote, lang)

        result, labels, names = await services.run_blocking(check)
        buttons = [cart_button(lang)] if result.status in ("applied", "rejected") else []
        if result.status == "rejected" and result.rejection and result.rejection.reason == "unknown_code":
            buttons = [deals_button(lang)]
        dispatcher.utter_message(text=code_result_text(result, labels, lang, names), buttons=buttons)
        canon = normalize_code(str(raw)) if len(str(raw)) <= 64 else None
        return [SlotSet("coupon_code", canon if result.status != "throttled" else None)]


class ActionAskDiscounts(PricingAction):
    """ "what deals are there?": public deals, and personal offers once verified."""

    def name(self) -> str:
        """The action name the domain lists."""
        return "action_ask_discounts"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: Optional[int]
    ) -> EventList:
        """Answer this turn (see the class docstring)."""
        offers = await services.run_blocking(services.pricing_chat().offers, customer_id, _now())
        dispatcher.utter_message(text=offers_text(offers, customer_id is not None, language(tracker)))
        return []


class ActionShowCart(PricingAction):
    """ "what's in my cart?": the cart priced now."""

    def name(self) -> str:
        """The action name the domain lists."""
        return "action_show_cart"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: Optional[int]
    ) -> EventList:
        """Answer this turn (see the class docstring)."""
        chat = services.pricing_chat()

        lang = language(tracker)

        def summary() -> tuple[Quote, Dict[str, str], Dict[str, str]]:
            q = chat.summary(tracker.sender_id, customer_id, _now())
            return q, chat.variant_labels(q), chat.display_names(q, lang)

        q, labels, names = await services.run_blocking(summary)
        if not q.lines:
            dispatcher.utter_message(text=m.text("cart.empty", lang))
            return []
        dispatcher.utter_message(
            text=m.text("cart.heading", lang, cart=quote_text(q, labels, lang, names)),
            buttons=[deals_button(lang)],
        )
        return []


class ActionAddToCart(PricingAction):
    """ "add the fleece in M": a product (and variant) into the cart."""

    def name(self) -> str:
        """The action name the domain lists."""
        return "action_add_to_cart"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: Optional[int]
    ) -> EventList:
        """Answer this turn (see the class docstring)."""
        change = await services.run_blocking(
            services.pricing_chat().add,
            tracker.sender_id,
            customer_id,
            _latest(tracker, "product"),
            _now(),
            size=canonical_size(_latest(tracker, "size")),
            color=_latest(tracker, "color"),
            quantity=quantity_in_text(_text(tracker)),
            text=_text(tracker),
        )
        await _say_change(dispatcher, change, language(tracker))
        return []


class ActionRemoveFromCart(PricingAction):
    """ "remove the fleece": every line of that product out of the cart."""

    def name(self) -> str:
        """The action name the domain lists."""
        return "action_remove_from_cart"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: Optional[int]
    ) -> EventList:
        """Answer this turn (see the class docstring)."""
        change = await services.run_blocking(
            services.pricing_chat().remove,
            tracker.sender_id,
            customer_id,
            _latest(tracker, "product"),
            _now(),
        )
        await _say_change(dispatcher, change, language(tracker))
        return []
