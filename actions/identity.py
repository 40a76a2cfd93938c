"""Identity before disclosure: the shared validator of every order form.

A shopper proves an order is theirs by giving its number and the email on it.
Until then no action shows anything about the order. Failed attempts are
counted per conversation in the DB, and too many lock lookups for a while.
"""

from __future__ import annotations

import logging
import re
from abc import abstractmethod
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions import services
from shop.signed_identity import secret_from_env, verify
from shop.text import normalize_email, normalize_order_number

logger = logging.getLogger(__name__)

IDENTITY_SLOTS = ("order_id", "email")
# Backstops for when the NLU model missed the entity in an answer to our own question.
ORDER_NUMBER_IN_TEXT = re.compile(r"(?<![\d-])\d{6}(?![\d-])")
EMAIL_IN_TEXT = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
SCANNED_CHARS = 2000
# Message metadata key of the storefront's signed identity token (shop/signed_identity.py).
IDENTITY_TOKEN_KEY = "identity_token"


def verified_customer(tracker: Tracker) -> Optional[int]:
    """The customer this conversation proved to be, if any.

    Proven either in the conversation (order number + email, the ``customer_id`` slot) or
    by the storefront: a signed-in shopper's messages carry an identity token the
    storefront signed with ``SHOP_IDENTITY_SECRET`` (see :func:`signed_customer`).
    """
    raw = tracker.get_slot("customer_id")
    try:
        if raw not in (None, ""):
            return int(raw)
    except (TypeError, ValueError):
        pass
    return signed_customer(tracker)


def signed_customer(tracker: Tracker) -> Optional[int]:
    """The customer named by a valid signed identity token on the latest message.

    Unsigned, tampered or expired tokens are ignored and logged (the token's content is
    not logged: it names a customer).
    """
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    token = metadata.get(IDENTITY_TOKEN_KEY) if isinstance(metadata, dict) else None
    if token is None:
        return None
    secret = secret_from_env()
    if secret is None:
        logger.warning("identity token ignored: SHOP_IDENTITY_SECRET unset (sender %s)", tracker.sender_id)
        return None
    customer_id = verify(token, secret)
    if customer_id is None:
        logger.warning("identity token rejected: forged, malformed or expired (sender %s)", tracker.sender_id)
    return customer_id


def is_verified_for(tracker: Tracker, order_number: Optional[str]) -> bool:
    """True when the shopper proved ownership of ``order_number`` in this conversation."""
    return (
        order_number is not None
        and verified_customer(tracker) is not None
        and tracker.get_slot("verified_order") == order_number
    )


RATE_LIMITED_TEXT = (
    "That's a lot of order lookups in a short time, so I've paused them for a minute. "
    "Please try again shortly, or a person from our team can help."
)
HANDOFF_BUTTON = {"title": "Talk to a person", "payload": "/human_handoff"}


def message_source(tracker: Tracker) -> Optional[str]:
    """Where the shopper's last message came from, as the channel recorded it (rate limits)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            source = (event.get("metadata") or {}).get("source")
            return str(source) if source else None
    return None


def verified_order(tracker: Tracker) -> Optional[Tuple[int, str]]:
    """(customer id, order number) when the order in ``order_id`` was proven to be the shopper's."""
    order_number = tracker.slots.get("order_id")
    customer_id = verified_customer(tracker)
    if customer_id is not None and order_number and is_verified_for(tracker, order_number):
        return customer_id, str(order_number)
    return None


def lookup_locked(tracker: Tracker) -> bool:
    """True while this conversation is locked out of order lookups."""
    try:
        return services.identity().locked_until(tracker.sender_id) is not None
    except SQLAlchemyError:
        logger.exception("lock check failed")
        return False


class OrderIdentityFormValidator(FormValidationAction):
    """Validates ``order_id`` and ``email`` and checks they belong together.

    Subclasses name the form, add validators for their own slots and may narrow the slots
    still to ask through :meth:`adjust_required_slots`.
    """

    @abstractmethod  # abstract, so rasa_sdk's executor does not register the base itself
    def name(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    async def required_slots(
        self,
        domain_slots: List[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[str]:
        return await self.adjust_required_slots(_identity_required_slots(domain_slots, tracker), tracker)

    async def adjust_required_slots(self, slots: List[str], tracker: Tracker) -> List[str]:
        """The form's slots still to ask, given those the identity check leaves (default: as is)."""
        return slots

    async def extract_order_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return _scan_answer(tracker, "order_id", ORDER_NUMBER_IN_TEXT)

    async def extract_email(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return _scan_answer(tracker, "email", EMAIL_IN_TEXT)

    def validate_order_id(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        order_number = normalize_order_number(_as_text(slot_value))
        if order_number is None:
            dispatcher.utter_message(response="utter_invalid_order_id")
            return {"order_id": None}
        if is_verified_for(tracker, order_number):
            return {"order_id": order_number}
        customer_id = verified_customer(tracker)
        if customer_id is not None and services.identity().customer_owns_order(customer_id, order_number):
            return {"order_id": order_number, "verified_order": order_number}
        # A new order: its email must be given (again) for this order.
        updates: Dict[str, Any] = {"order_id": order_number}
        if "email" not in tracker.slots_to_validate():
            updates["email"] = None
        return updates

    def validate_email(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        email = normalize_email(_as_text(slot_value))
        if email is None:
            dispatcher.utter_message(response="utter_invalid_email")
            return {"email": None}
        order_number = tracker.slots.get("order_id")
        if order_number is None:
            return {"email": email}
        if is_verified_for(tracker, order_number):
            return {"email": email}
        if not services.lookup_limiter().allow(tracker.sender_id, message_source(tracker)):
            dispatcher.utter_message(text=RATE_LIMITED_TEXT, buttons=[HANDOFF_BUTTON])
            return {"email": None, "order_id": None}
        result = services.identity().verify(tracker.sender_id, order_number, email)
        if result.ok:
            return {
                "email": email,
                "customer_id": str(result.customer_id),
                "verified_order": order_number,
            }
        if result.locked_until is not None:
            dispatcher.utter_message(response="utter_lookup_locked")
            return {"email": None, "order_id": None}
        text = "I couldn't find an order with that number and email. Please check both and try again."
        if result.failures_left == 1:
            text += " You have one more try before lookups pause for a while."
        dispatcher.utter_message(text=text)
        return {"email": None, "order_id": None}


def _identity_required_slots(domain_slots: List[str], tracker: Tracker) -> List[str]:
    """None while locked out; all but the identity slots once the order is proven; else all."""
    if lookup_locked(tracker) and not is_verified_for(tracker, tracker.slots.get("order_id")):
        return []
    order_number = tracker.slots.get("order_id")
    if is_verified_for(tracker, order_number):
        return [s for s in domain_slots if s not in IDENTITY_SLOTS]
    return list(domain_slots)


def _as_text(value: Any) -> Optional[str]:
    """Slot values may arrive as lists when an entity was found twice."""
    if isinstance(value, list):
        value = value[-1] if value else None
    return None if value is None else str(value)


def _scan_answer(tracker: Tracker, slot: str, pattern: re.Pattern[str]) -> Dict[str, Any]:
    """The slot's value found in the raw text, when it answers our question for it."""
    if tracker.slots.get("requested_slot") != slot or slot in tracker.slots_to_validate():
        return {}
    text = (tracker.latest_message.get("text") or "")[:SCANNED_CHARS]
    if text.startswith("/"):
        return {}
    found = pattern.search(text)
    return {slot: found.group(0)} if found else {}
