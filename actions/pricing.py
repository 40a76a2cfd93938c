"""Coupons, deals and the cart in chat: adapters over :class:`shop.pricing.chat.PricingChat`.

Each action takes the code / product from the message (or the slots), makes one call to
the pricing chat service off the event loop, and says the result. Money and every
sentence about a refusal come from the pricing engine, so chat and checkout agree.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions import services
from actions.base import EventList, ShopAction, service_unavailable
from actions.identity import verified_customer
from shop.catalog_query import canonical_size
from shop.clock import naive_utc
from shop.pricing.chat import CartChange, CodeResult, code_in_text
from shop.pricing.codes import normalize_code
from shop.pricing.model import Quote
from shop.pricing.money import format_money
from shop.pricing.offers import OfferView

logger = logging.getLogger(__name__)

CART_BUTTON = {"title": "What's in my cart?", "payload": "/view_cart"}
DEALS_BUTTON = {"title": "Current deals", "payload": "/ask_discounts"}
MAX_QUANTITY_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}


def _now() -> datetime:
    return naive_utc()


def _latest(tracker: Tracker, entity: str) -> Optional[str]:
    values = list(tracker.get_latest_entity_values(entity))
    return str(values[-1]) if values else None


def _text(tracker: Tracker) -> str:
    text = tracker.latest_message.get("text") or ""
    return "" if text.startswith("/") else text


def _quantity(text: str) -> int:
    """``add 2 ...`` / ``add two ...``: a small leading count, else one."""
    found = re.search(r"\b(?:add|put)\s+(\d{1,3}|one|two|three|four|five)\b", text.lower())
    if not found:
        return 1
    word = found.group(1)
    return MAX_QUANTITY_WORDS.get(word) or int(word)


def quote_text(q: Quote, labels: Optional[Dict[str, str]] = None) -> str:
    """The lines of a priced cart, every discount explained, then the totals."""
    cur = q.currency
    rows = []
    for line in q.lines:
        variant = (labels or {}).get(line.line.sku, "")
        name = f"{line.line.name} ({variant})" if variant else line.line.name
        price = format_money(line.base, cur)
        rows.append(f"• {line.line.quantity} × {name}: {price}")
    rows += [f"  {text}" for text in q.explain()]
    shipping = "free" if q.shipping_total == 0 else format_money(q.shipping_total, cur)
    totals = f"Subtotal {format_money(q.subtotal, cur)}"
    if q.discount_total:
        totals += f", discounts -{format_money(q.discount_total, cur)}"
    totals += f", shipping {shipping}"
    if q.tax:
        totals += f", tax {format_money(q.tax, cur)}"
    totals += f". Total: {format_money(q.total, cur)}."
    return "\n".join(rows + [totals])


def code_result_text(result: CodeResult, labels: Optional[Dict[str, str]] = None) -> str:
    if result.status in ("throttled", "rejected"):
        assert result.rejection is not None
        return result.rejection.message
    if result.status == "terms":
        return f"{result.terms} Your cart is empty right now; the discount is taken off at checkout."
    assert result.quote is not None and result.before is not None
    q, before = result.quote, result.before
    where = f"the {result.item_names[0]}" if result.item_names else "your cart"
    saved = before.total - q.total
    if saved <= 0:
        return (
            f"{result.code} is valid, but it doesn't lower the price of {where}: "
            + "; ".join(q.explain())
            + f". Total: {format_money(q.total, q.currency)}."
        )
    head = (
        f"{result.code} works: {where} comes to {format_money(q.total, q.currency)} "
        f"instead of {format_money(before.total, q.currency)} (you save {format_money(saved, q.currency)})."
    )
    return head + "\n" + quote_text(q, labels)


def offers_text(offers: List[OfferView], verified: bool) -> str:
    personal = [o for o in offers if o.personal]
    public = [o for o in offers if not o.personal]
    parts = []
    if personal:
        parts.append("Just for you:\n" + "\n".join(_offer_line(o) for o in personal))
    if public:
        parts.append("Running now:\n" + "\n".join(_offer_line(o) for o in public))
    if not parts:
        parts.append("There are no deals running right now.")
    if not verified:
        parts.append(
            "If you're signed in, or tell me an order number and its email, "
            "I can check for offers just for you."
        )
    return "\n\n".join(parts)


def _offer_line(o: OfferView) -> str:
    return f"• {o.sentence}" if o.sentence.startswith(o.title) else f"• {o.title}: {o.sentence}"


def change_text(change: CartChange, labels: Optional[Dict[str, str]] = None) -> str:
    if change.status == "added":
        variant = f" ({change.variant})" if change.variant else ""
        assert change.summary is not None
        added = f"Added {change.quantity} × {change.name}{variant} to your cart."
        return added + "\n" + quote_text(change.summary, labels)
    if change.status == "removed":
        assert change.summary is not None
        rest = quote_text(change.summary, labels) if change.summary.lines else "Your cart is empty now."
        return f"Removed {change.name} from your cart.\n{rest}"
    if change.status == "ambiguous":
        return "Which one do you mean: " + "; ".join(change.candidates) + "?"
    if change.status == "pick_variant":
        options = []
        if change.sizes:
            options.append("sizes " + ", ".join(change.sizes))
        if change.colors:
            options.append("colours " + ", ".join(change.colors))
        example = " ".join(x for x in (change.sizes[:1] + change.colors[:1]))
        return (
            f"Which one of the {change.name}? It comes in {' and '.join(options)}. "
            f'Tell me e.g. "add the {change.name} in {example}".'
        )
    if change.status == "no_such_variant":
        return (
            f"The {change.name} doesn't come in that combination. It comes in sizes "
            f"{', '.join(change.sizes) or '-'} and colours {', '.join(change.colors) or '-'}."
        )
    if change.status == "not_in_cart":
        return f"I don't see {change.name} in your cart."
    if change.status == "bad_quantity":
        return "I can add between 1 and 100 of an item at a time."
    return "I couldn't find that product. Could you give me its name as it appears in the shop?"


async def _say_change(dispatcher: CollectingDispatcher, change: CartChange) -> None:
    labels: Dict[str, str] = {}
    if change.summary is not None:
        labels = await services.run_blocking(services.pricing_chat().variant_labels, change.summary)
    dispatcher.utter_message(text=change_text(change, labels))


class PricingAction(ShopAction):
    """Turns a database failure into the shared "can't look that up right now"."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> EventList:
        try:
            return await self.act(dispatcher, tracker, verified_customer(tracker))
        except SQLAlchemyError:
            return service_unavailable(dispatcher, self.name())

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: Optional[int]
    ) -> EventList:  # pragma: no cover - overridden
        raise NotImplementedError


class ActionApplyCoupon(PricingAction):
    """ "apply SAVE10", "how much with code X for the <product>", "why doesn't my code work?"."""

    def name(self) -> str:
        return "action_apply_coupon"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: Optional[int]
    ) -> EventList:
        raw = code_in_text(_text(tracker), _latest(tracker, "coupon_code")) or tracker.get_slot("coupon_code")
        if not raw:
            dispatcher.utter_message(response="utter_ask_coupon_code")
            return []
        chat = services.pricing_chat()
        product = _latest(tracker, "product")

        def check() -> tuple[CodeResult, Dict[str, str]]:
            result = chat.try_code(tracker.sender_id, customer_id, str(raw), _now(), product=product)
            return result, chat.variant_labels(result.quote) if result.quote else {}

        result, labels = await services.run_blocking(check)
        buttons = [CART_BUTTON] if result.status in ("applied", "rejected") else []
        if result.status == "rejected" and result.rejection and result.rejection.reason == "unknown_code":
            buttons = [DEALS_BUTTON]
        dispatcher.utter_message(text=code_result_text(result, labels), buttons=buttons)
        canon = normalize_code(str(raw)) if len(str(raw)) <= 64 else None
        return [SlotSet("coupon_code", canon if result.status != "throttled" else None)]


class ActionAskDiscounts(PricingAction):
    def name(self) -> str:
        return "action_ask_discounts"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: Optional[int]
    ) -> EventList:
        offers = await services.run_blocking(services.pricing_chat().offers, customer_id, _now())
        dispatcher.utter_message(text=offers_text(offers, customer_id is not None))
        return []


class ActionShowCart(PricingAction):
    def name(self) -> str:
        return "action_show_cart"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: Optional[int]
    ) -> EventList:
        chat = services.pricing_chat()

        def summary() -> tuple[Quote, Dict[str, str]]:
            q = chat.summary(tracker.sender_id, customer_id, _now())
            return q, chat.variant_labels(q)

        q, labels = await services.run_blocking(summary)
        if not q.lines:
            dispatcher.utter_message(
                text='Your cart is empty. Tell me what to add, e.g. "add the Summit Quilted Jacket X in M".'
            )
            return []
        dispatcher.utter_message(text="Your cart:\n" + quote_text(q, labels), buttons=[DEALS_BUTTON])
        return []


class ActionAddToCart(PricingAction):
    def name(self) -> str:
        return "action_add_to_cart"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: Optional[int]
    ) -> EventList:
        change = await services.run_blocking(
            services.pricing_chat().add,
            tracker.sender_id,
            customer_id,
            _latest(tracker, "product"),
            _now(),
            size=canonical_size(_latest(tracker, "size")),
            color=_latest(tracker, "color"),
            quantity=_quantity(_text(tracker)),
            text=_text(tracker),
        )
        await _say_change(dispatcher, change)
        return []


class ActionRemoveFromCart(PricingAction):
    def name(self) -> str:
        return "action_remove_from_cart"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: Optional[int]
    ) -> EventList:
        change = await services.run_blocking(
            services.pricing_chat().remove,
            tracker.sender_id,
            customer_id,
            _latest(tracker, "product"),
            _now(),
        )
        await _say_change(dispatcher, change)
        return []
