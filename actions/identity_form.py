"""The shared validator of every order form: an order number and its email, checked together.

The proof rules themselves (what counts as proven, for how long, from where; the refusal
answers) are in :mod:`actions.identity`. This module decides *when* the pair is checked:

- the email answers "which email?" for the order number in hand: checked at once;
- a new order number drops an email that belonged to another order (proven or pending),
  so one order's email is never tried silently against another;
- an email given while no order was pending (before the number, or as the correction after
  "couldn't find an order with that number and email") is kept and checked with the number
  the shopper gives next, instead of being asked again. It is checked exactly like an email
  typed after the number: same limits, same counters, same words on a miss.
"""

from __future__ import annotations

import logging
import re
from abc import abstractmethod
from typing import Any, Callable, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions import services
from actions.identity import (
    LookupUnavailable,
    handoff_button,
    is_verified_for,
    lookup_locked,
    lookup_locked_until,
    message_source,
    refused_this_turn,
    say_locked,
    say_unavailable,
    verified_customer,
)
from actions.language import language
from shop import messages as m
from shop.ratelimit import Verdict
from shop.text import normalize_email, normalize_order_number

__all__ = ["IDENTITY_SLOTS", "OrderIdentityFormValidator"]

logger = logging.getLogger(__name__)

IDENTITY_SLOTS = ("order_id", "email")
# Backstops for when the NLU model missed the entity in an answer to our own question.
ORDER_NUMBER_IN_TEXT = re.compile(r"(?<![\d-])\d{6}(?![\d-])")
EMAIL_IN_TEXT = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
SCANNED_CHARS = 2000


class OrderIdentityFormValidator(FormValidationAction):
    """Validates ``order_id`` and ``email`` and checks they belong together.

    Subclasses name the form, add validators for their own slots and may narrow the slots
    still to ask through :meth:`adjust_required_slots`.
    """

    @abstractmethod  # abstract, so rasa_sdk's executor does not register the base itself
    def name(self) -> str:  # pragma: no cover - abstract
        """The form validator's name, ``validate_<form>``."""
        raise NotImplementedError

    async def required_slots(
        self,
        domain_slots: List[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[str]:
        """Order and email until proven; none at all once this turn already refused."""
        if refused_this_turn(tracker, dispatcher):
            return []  # locked, unavailable or rate-limited: the form ends, the answer was given
        return await self.adjust_required_slots(_identity_required_slots(domain_slots, tracker), tracker)

    async def adjust_required_slots(self, slots: List[str], tracker: Tracker) -> List[str]:
        """The form's slots still to ask, given those the identity check leaves (default: as is)."""
        return slots

    async def extract_order_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """An order number in the answer to "which order?", even where NLU found no entity."""
        return _scan_answer(tracker, "order_id", ORDER_NUMBER_IN_TEXT)

    async def extract_email(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """An address in the shopper's message, even where NLU found no entity (the CRF misses
        some, e.g. on ``.net``): in the answer to "which email?", and also given early, with
        or before the number, since an order form's only use of an address is this check."""
        return _scan_answer(tracker, "email", EMAIL_IN_TEXT, any_question=True)

    def validate_order_id(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Accept a well-formed number the shopper may ask about; say so when it is locked."""
        order_number = _answer(slot_value, normalize_order_number, dispatcher, "utter_invalid_order_id")
        if order_number is None:
            return {"order_id": None}
        if is_verified_for(tracker, order_number):
            return {"order_id": order_number}
        customer_id = verified_customer(tracker)
        if customer_id is not None and services.identity().customer_owns_order(customer_id, order_number):
            return {"order_id": order_number, "verified_order": order_number}
        # Locked for this number (or conversation, or address)? Say so before asking the email:
        # unknown numbers are counted like real ones, so this tells nothing about the order.
        lang = language(tracker)
        try:
            locked = lookup_locked_until(tracker, order_number)
        except LookupUnavailable:
            say_unavailable(dispatcher, lang)
            return {"order_id": None}
        if locked is not None:
            say_locked(dispatcher, locked, lang)
            return {"order_id": None}
        updates: Dict[str, Any] = {"order_id": order_number}
        if "email" in tracker.slots_to_validate():
            return updates  # given in this message too: validate_email checks the pair
        pending_email = normalize_email(_as_text(tracker.get_slot("email")))
        if pending_email is not None and _order_before_this_turn(tracker) is None:
            # The email came while no order was pending: it is for this number.
            updates.update(_check_pair(dispatcher, tracker, order_number, pending_email))
            return updates
        updates["email"] = None  # another order's email: this one's must be given
        return updates

    def validate_email(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Check the email against the order (bounded by the guessing limits), proving it."""
        email = _answer(slot_value, normalize_email, dispatcher, "utter_invalid_email")
        if email is None:
            return {"email": None}
        order_number = tracker.slots.get("order_id")
        if order_number is None or is_verified_for(tracker, order_number):
            return {"email": email}  # no order yet: kept for the number to come
        return _check_pair(dispatcher, tracker, str(order_number), email)


def _check_pair(
    dispatcher: CollectingDispatcher, tracker: Tracker, order_number: str, email: str
) -> Dict[str, Any]:
    """Check ``email`` against ``order_number`` within the guessing limits; the slots to set.

    A match proves the order (``customer_id``, ``verified_order``); anything else clears
    both identity slots with the same answer whether or not the order exists.
    """
    lang = language(tracker)
    source = message_source(tracker)
    cleared: Dict[str, Any] = {"email": None, "order_id": None}
    verdict = services.lookup_limiter().check(tracker.sender_id, source)
    if verdict is Verdict.UNAVAILABLE:
        say_unavailable(dispatcher, lang)
        return cleared
    if verdict is Verdict.LIMITED:
        dispatcher.utter_message(text=m.text("identity.rate_limited", lang), buttons=[handoff_button(lang)])
        return cleared
    try:
        result = services.identity().verify(tracker.sender_id, order_number, email, source=source)
    except SQLAlchemyError:
        logger.exception("identity check failed: lookup refused")
        say_unavailable(dispatcher, lang)
        return cleared
    if result.ok:
        return {"email": email, "customer_id": str(result.customer_id), "verified_order": order_number}
    if result.locked_until is not None:
        say_locked(dispatcher, result.locked_until, lang)
        return cleared
    text = m.text("identity.no_match", lang)
    if result.failures_left == 1:
        text += m.text("identity.one_more_try", lang)
    dispatcher.utter_message(text=text)
    return cleared


def _order_before_this_turn(tracker: Tracker) -> Optional[str]:
    """The ``order_id`` slot's value before the shopper's latest message (None if unset).

    This turn's own slot events (the number just extracted) come after that message.
    """
    events = tracker.events or []
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=len(events))
    value: Optional[str] = None
    for event in events[:last_user]:
        if event.get("event") == "slot" and event.get("name") == "order_id":
            value = event.get("value")
        elif event.get("event") in ("restart", "session_started"):
            value = None
    return value


def _identity_required_slots(domain_slots: List[str], tracker: Tracker) -> List[str]:
    """All but the identity slots once the order is proven; else none while locked out, else all.

    A proven order needs no lock check (the DB is not read then).
    """
    if is_verified_for(tracker, tracker.slots.get("order_id")):
        return [s for s in domain_slots if s not in IDENTITY_SLOTS]
    if lookup_locked(tracker):
        return []
    return list(domain_slots)


def _as_text(value: Any) -> Optional[str]:
    """Slot values may arrive as lists when an entity was found twice."""
    if isinstance(value, list):
        value = value[-1] if value else None
    return None if value is None else str(value)


def _answer(
    slot_value: Any,
    normalize: Callable[[Optional[str]], Optional[str]],
    dispatcher: CollectingDispatcher,
    invalid_response: str,
) -> Optional[str]:
    """The slot value normalized, or ``None`` after telling the shopper it is malformed."""
    value = normalize(_as_text(slot_value))
    if value is None:
        dispatcher.utter_message(response=invalid_response)
    return value


def _scan_answer(
    tracker: Tracker, slot: str, pattern: re.Pattern[str], any_question: bool = False
) -> Dict[str, Any]:
    """The slot's value found in the raw text, when it answers our question for it (or any
    question of the form, with ``any_question``) and NLU did not fill it already."""
    asked = any_question or tracker.slots.get("requested_slot") == slot
    if not asked or slot in tracker.slots_to_validate():
        return {}
    text = (tracker.latest_message.get("text") or "")[:SCANNED_CHARS]
    if text.startswith("/"):
        return {}
    found = pattern.search(text)
    return {slot: found.group(0)} if found else {}
