"""Returns and refunds: start a return (RMA) and report on one."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from typing_extensions import override

from actions import services
from actions.base import EventList, VerifiedOrderAction
from actions.formatting import day, line_text, return_info_text, variant_name
from actions.identity import verified_customer, verified_order
from actions.identity_form import OrderIdentityFormValidator
from actions.language import language
from shop import messages as m
from shop.catalog_rows import display_name
from shop.orders import OrderLine
from shop.returns import Eligibility, ItemNotOnOrder, ItemNotReturnable, NoItemsSelected, ReturnNotAllowed
from shop.text import normalize_rma

RETURN_FLOW_SLOTS = ("return_selection", "return_reason", "return_confirmed")
MAX_REASON_CHARS = 300
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1}

#: Why an order can't be returned (``Eligibility.reason``), in the catalogue as
#: ``return.ineligible.<reason>``; any other reason is ``return.ineligible``.
INELIGIBLE_REASONS = ("not_delivered", "window_closed", "nothing_returnable", "cancelled")
INELIGIBLE_TEXT = {r: m.CATALOGUES["en"][f"return.ineligible.{r}"] for r in INELIGIBLE_REASONS}


async def _eligibility(order_number: str, customer_id: int) -> Eligibility:
    return await services.run_blocking(services.returns().eligibility, order_number, customer_id)


def parse_selection(text: str, lines: Tuple[OrderLine, ...]) -> Optional[List[int]]:
    """Which order lines a shopper means: ids from buttons, "all", "2", "the second", or a name."""
    cleaned = text.strip().lower()[:500]
    if not cleaned or not lines:
        return None
    if cleaned in {"all", "everything", "all of them", "both", "the whole order", "all items"}:
        return [li.order_item_id for li in lines]
    by_id = {li.order_item_id: li for li in lines}
    numbers = [int(n) for n in re.findall(r"\d+", cleaned)]
    if numbers and all(n in by_id for n in numbers):
        return sorted(set(numbers))
    if numbers and all(1 <= n <= len(lines) for n in numbers):
        return sorted({lines[n - 1].order_item_id for n in numbers})
    for word, pos in ORDINALS.items():
        if re.search(rf"\b{word}\b", cleaned):
            return [lines[pos - 1 if pos > 0 else -1].order_item_id] if abs(pos) <= len(lines) else None
    named = [li.order_item_id for li in lines if _name_matches(cleaned, li)]
    return named or None


def _name_matches(text: str, line: OrderLine) -> bool:
    """The shopper named this line: a word of its English name, or its whole Chinese name."""
    words = [w for w in re.findall(r"[a-z]+", line.name.lower()) if len(w) > 3]
    return any(w in text for w in words) or bool(line.name_zh and line.name_zh.lower() in text)


class ValidateReturnForm(OrderIdentityFormValidator):
    """The return form: order and email, then which items (by number, name or ordinal) and why."""

    @override
    def name(self) -> str:
        return "validate_return_form"

    @override
    async def adjust_required_slots(self, slots: List[str], tracker: Tracker) -> List[str]:
        proven = verified_order(tracker)
        if proven:
            customer_id, order_number = proven
            if not (await _eligibility(order_number, customer_id)).eligible:
                return [s for s in slots if s not in RETURN_FLOW_SLOTS]
        return slots

    async def validate_return_selection(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Item ids the answer picks among the returnable lines, or ask again via the buttons."""
        order_number = tracker.slots.get("order_id")
        customer_id = verified_customer(tracker)
        if not customer_id or not order_number:
            return {"return_selection": None}
        eligibility = await _eligibility(order_number, customer_id)
        chosen = parse_selection(str(slot_value), eligibility.lines)
        if not chosen:
            dispatcher.utter_message(text=m.text("return.which_item_again", language(tracker)))
            return {"return_selection": None}
        return {"return_selection": ",".join(str(i) for i in chosen)}

    def validate_return_reason(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """A typed reason, whitespace collapsed and capped; a button payload is not a reason."""
        reason = " ".join(str(slot_value or "").split())
        if not reason or reason.startswith("/"):
            dispatcher.utter_message(text=m.text("return.why_again", language(tracker)))
            return {"return_reason": None}
        return {"return_reason": reason[:MAX_REASON_CHARS]}


def _line_title(line: OrderLine, lang: str = "en") -> str:
    return variant_name(
        display_name(line, lang), m.join("space", (v for v in (line.size, line.color) if v), lang), lang
    )


def _selected_ids(tracker: Tracker) -> List[int]:
    raw = tracker.get_slot("return_selection") or ""
    return [int(part) for part in str(raw).split(",") if part.strip().isdigit()]


class ActionAskReturnSelection(VerifiedOrderAction):
    """Lists the returnable items (with the return deadline) as buttons to choose from."""

    @override
    def name(self) -> str:
        return "action_ask_return_selection"

    @override
    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int, order_number: str
    ) -> EventList:
        lang = language(tracker)
        eligibility = await _eligibility(order_number, customer_id)
        buttons = [
            {"title": _line_title(li, lang), "payload": f'/inform{{"return_selection":"{li.order_item_id}"}}'}
            for li in eligibility.lines
        ]
        if len(eligibility.lines) > 1:
            buttons.append(
                {"title": m.text("button.all_items", lang), "payload": '/inform{"return_selection":"all"}'}
            )
        listing = "\n".join(
            m.text("fmt.numbered", lang, n=n, item=line_text(li, eligibility.currency, lang))
            for n, li in enumerate(eligibility.lines, 1)
        )
        dispatcher.utter_message(
            text=m.text(
                "return.which_item",
                lang,
                order=order_number,
                deadline=day(eligibility.deadline, lang),
                listing=listing,
            ),
            buttons=buttons,
        )
        return []


class ActionAskReturnConfirmed(VerifiedOrderAction):
    """Sums up the chosen items and the estimated refund and asks for a yes/no."""

    @override
    def name(self) -> str:
        return "action_ask_return_confirmed"

    @override
    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int, order_number: str
    ) -> EventList:
        eligibility = await _eligibility(order_number, customer_id)
        chosen = set(_selected_ids(tracker))
        lines = [li for li in eligibility.lines if li.order_item_id in chosen]
        refund = sum((li.unit_price * li.returnable_quantity for li in lines), start=Decimal("0.00"))
        lang = language(tracker)
        items = m.join(
            "list",
            (
                m.text(
                    "fmt.quantity_name",
                    lang,
                    quantity=m.number(li.returnable_quantity, lang),
                    name=display_name(li, lang),
                )
                for li in lines
            ),
            lang,
        )
        dispatcher.utter_message(
            text=m.text(
                "return.confirm",
                lang,
                items=items,
                order=order_number,
                reason=tracker.get_slot("return_reason"),
                refund=m.money(refund, lang, eligibility.currency),
            ),
            buttons=[
                {"title": m.text("button.start_return_yes", lang), "payload": "/affirm"},
                {"title": m.text("button.no", lang), "payload": "/deny"},
            ],
        )
        return []


class ActionCreateReturn(VerifiedOrderAction):
    """Opens the return (RMA) once confirmed, or says why this order can't be returned."""

    @override
    def name(self) -> str:
        return "action_create_return"

    @override
    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int, order_number: str
    ) -> EventList:
        lang = language(tracker)
        reset = [SlotSet(s, None) for s in RETURN_FLOW_SLOTS]
        confirmed = tracker.get_slot("return_confirmed")
        if confirmed is False:
            dispatcher.utter_message(text=m.text("return.not_started", lang))
            return reset
        if confirmed is None:
            eligibility = await _eligibility(order_number, customer_id)
            days = services.settings().return_window_days
            reason = str(eligibility.reason)
            key = f"return.ineligible.{reason}" if reason in INELIGIBLE_REASONS else "return.ineligible"
            dispatcher.utter_message(
                text=m.text(
                    key,
                    lang,
                    order=order_number,
                    deadline=day(eligibility.deadline, lang),
                    days=m.number(days, lang),
                )
            )
            return reset
        try:
            result = await services.run_blocking(
                services.returns().create_return,
                order_number,
                customer_id,
                _selected_ids(tracker),
                tracker.get_slot("return_reason") or "not given",
            )
        except ValueError as err:
            dispatcher.utter_message(text=m.text("return.failed", lang, error=_error_text(err, lang)))
            return reset
        intro = m.text("return.started" if result.created else "return.already_started", lang)
        dispatcher.utter_message(
            text=m.text(
                "return.created",
                lang,
                intro=intro,
                rma=result.rma_number,
                refund=m.money(result.refund_amount, lang, result.currency),
                instructions=_instructions(
                    result.instructions, result.rma_number, result.refund_amount, result.currency, lang
                ),
            )
        )
        return reset


def _error_text(err: ValueError, lang: str) -> str:
    """Why the return service refused, in ``lang`` (its own message for an unknown refusal)."""
    if isinstance(err, ReturnNotAllowed):
        return m.text("return.error.not_allowed", lang, reason=err.reason)
    if isinstance(err, NoItemsSelected):
        return m.text("return.error.no_items", lang)
    if isinstance(err, ItemNotOnOrder):
        return m.text("return.error.not_on_order", lang, items=err.item_ids)
    if isinstance(err, ItemNotReturnable):
        return m.text("return.error.already_returned", lang, items=err.item_ids)
    return str(err)


def _instructions(english: str, rma: str, refund: Decimal, currency: str, lang: str) -> str:
    """What to do with the parcel: the return service's words, or the catalogue's in ``lang``.

    :func:`shop.returns.instructions_for` writes English with the shop's drop-off window;
    another language gets the same facts (the window read back from those words).
    """
    if lang == "en":
        return english
    found = re.search(r"within (\d+) days", english)
    window = int(found.group(1)) if found else 14
    return m.text(
        "return.instructions",
        lang,
        rma=rma,
        days=m.number(window, lang),
        refund=m.money(refund, lang, currency),
    )


class ValidateReturnStatusForm(OrderIdentityFormValidator):
    """Return status accepts an RMA number in place of the order number."""

    @override
    def name(self) -> str:
        return "validate_return_status_form"

    @override
    async def extract_order_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """An RMA number stands in for the order number (the email is still asked)."""
        found = await super().extract_order_id(dispatcher, tracker, domain)
        if found or tracker.slots.get("order_id"):
            return found
        rma = normalize_rma(tracker.slots.get("rma_number"))
        if rma is None:
            return {}
        order_number = await services.run_blocking(services.returns().order_number_for_rma, rma)
        return {"order_id": order_number} if order_number else {}


class ActionReturnStatus(VerifiedOrderAction):
    """The status and refund of the proven order's returns (or the one RMA asked about)."""

    @override
    def name(self) -> str:
        return "action_return_status"

    @override
    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int, order_number: str
    ) -> EventList:
        infos = await services.run_blocking(services.returns().status, customer_id, order_number=order_number)
        rma = normalize_rma(tracker.get_slot("rma_number"))
        if rma:
            infos = [i for i in infos if i.rma_number == rma] or infos
        lang = language(tracker)
        if not infos:
            dispatcher.utter_message(
                text=m.text("return.none_yet", lang, order=order_number),
                buttons=[{"title": m.text("button.start_return", lang), "payload": "/return_item"}],
            )
        else:
            dispatcher.utter_message(text="\n".join(return_info_text(i, lang) for i in infos))
        return [SlotSet("rma_number", None)]
