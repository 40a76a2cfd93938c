"""Identity before disclosure: what counts as proof, and the answers when there is none.

A shopper proves an order is theirs by giving its number and the email on it.
Until then no action shows anything about the order. Failed checks are counted in the
DB per conversation, per order number, per email and per client address
(``shop.identity``); any of them at its limit locks lookups that involve it for a while,
and the shopper is told when to retry and offered a person, with the same words whether
or not the order exists. When the counters can't be read, lookups are refused.

A proof holds for the session only (the domain's ``session_expiration_time``, no slots
carried over), and at most ``SHOP_IDENTITY_PROOF_MINUTES`` after it was given, from the
client address it was given from: see :func:`proven_slot`. The order forms' validator,
which asks for the pair and checks it, is :mod:`actions.identity_form`.
"""

from __future__ import annotations

import logging
import math
import time
from datetime import datetime
from typing import Any, Dict, Optional, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions import services
from actions.language import language
from shop import messages as m
from shop.clock import naive_utc as utc_naive
from shop.signed_identity import CHAT, secret_from_env, verify

logger = logging.getLogger(__name__)

# Message metadata key of the storefront's signed identity token (shop/signed_identity.py).
IDENTITY_TOKEN_KEY = "identity_token"
# Audience of the chat identity tokens (storefront cookies use another key or audience).
IDENTITY_AUDIENCE = CHAT
# The slots that hold a proof, and expire with it.
PROOF_SLOTS = ("customer_id", "verified_order")


def verified_customer(tracker: Tracker) -> Optional[int]:
    """The customer this conversation proved to be, if any.

    Proven either in the conversation (order number + email, the ``customer_id`` slot,
    while :func:`proven_slot` holds it) or by the storefront: a signed-in shopper's
    messages carry an identity token the storefront signed with ``SHOP_IDENTITY_SECRET``
    (see :func:`signed_customer`).
    """
    raw = proven_slot(tracker, "customer_id")
    try:
        if raw not in (None, ""):
            return int(raw)
    except (TypeError, ValueError):
        pass
    return signed_customer(tracker)


def message_source(tracker: Tracker) -> Optional[str]:
    """Where the shopper's last message came from, as the server's channel recorded it.

    The channels set metadata ``source`` (client address for REST and socket.io,
    ``telegram:<chat id>``) and drop any a client sends.
    """
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return _event_source(event)
    return None


def _event_source(event: Dict[str, Any]) -> Optional[str]:
    metadata = event.get("metadata")
    source = metadata.get("source") if isinstance(metadata, dict) else None
    return str(source) if source else None


def proven_slot(tracker: Tracker, slot: str, now: Optional[float] = None) -> Any:
    """The value of proof slot ``slot`` while its proof holds, else None.

    A proof holds when the slot's latest ``SlotSet`` in the tracker set this value, less
    than ``SHOP_IDENTITY_PROOF_MINUTES`` ago (the event's timestamp; one set in this very
    action call has none yet and counts as now), and the shopper's latest message comes
    from the same client address (``source``) as the message it answered. A slot with a
    value but no event setting it was not proven here and does not count.
    """
    value = tracker.get_slot(slot)
    if value in (None, ""):
        return None
    events = tracker.events or []
    for i in range(len(events) - 1, -1, -1):
        event = events[i]
        if event.get("event") != "slot" or event.get("name") != slot:
            continue
        if str(event.get("value")) != str(value):
            return None
        stamp = event.get("timestamp")
        max_age = services.settings().identity_proof_minutes * 60
        if stamp is not None and (time.time() if now is None else now) - float(stamp) > max_age:
            return None
        proven_from = next(
            (_event_source(e) for e in reversed(events[:i]) if e.get("event") == "user"),
            None,
        )
        if proven_from != message_source(tracker):
            return None
        return value
    return None


def signed_customer(tracker: Tracker) -> Optional[int]:
    """The customer named by a valid signed identity token on the latest message.

    Tokens for another audience, unsigned, tampered or expired ones are ignored and logged
    (the token's content is not logged: it names a customer).
    """
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    token = metadata.get(IDENTITY_TOKEN_KEY) if isinstance(metadata, dict) else None
    if token is None:
        return None
    secret = secret_from_env()
    if secret is None:
        logger.warning("identity token ignored: SHOP_IDENTITY_SECRET unset (sender %s)", tracker.sender_id)
        return None
    customer_id = _verify_token(token, secret)
    if customer_id is None:
        logger.warning("identity token rejected: forged, malformed or expired (sender %s)", tracker.sender_id)
    return customer_id


def _verify_token(token: Any, secret: str) -> Optional[int]:
    return verify(token, secret, audience=IDENTITY_AUDIENCE)


def is_verified_for(tracker: Tracker, order_number: Optional[str]) -> bool:
    """True when the shopper proved ownership of ``order_number`` in this conversation."""
    return (
        order_number is not None
        and verified_customer(tracker) is not None
        and tracker.get_slot("verified_order") == order_number
    )


def verified_order(tracker: Tracker) -> Optional[Tuple[int, str]]:
    """(customer id, order number) when the order in ``order_id`` was proven to be the shopper's."""
    order_number = tracker.slots.get("order_id")
    customer_id = verified_customer(tracker)
    if customer_id is not None and order_number and is_verified_for(tracker, order_number):
        return customer_id, str(order_number)
    return None


def handoff_button(lang: str = "en") -> Dict[str, str]:
    """The "Talk to a person" button, titled in ``lang`` (the payload is the same in all)."""
    return {"title": m.text("button.handoff", lang), "payload": "/human_handoff"}


HANDOFF_BUTTON = handoff_button()
# Answers that end an order form for this turn; each starts with its own prefix (per language).
LOCKED_PREFIX = m.text("identity.locked_prefix", "en")
UNAVAILABLE_PREFIX = m.text("identity.unavailable_prefix", "en")
RATE_LIMITED_PREFIX = m.text("identity.rate_limited_prefix", "en")
REFUSAL_PREFIXES = tuple(
    prefix
    for key in ("identity.locked_prefix", "identity.unavailable_prefix", "identity.rate_limited_prefix")
    for prefix in m.variants(key)
)
UNAVAILABLE_TEXT = m.text("identity.unavailable", "en")
RATE_LIMITED_TEXT = m.text("identity.rate_limited", "en")


def locked_text(locked_until: datetime, now: Optional[datetime] = None, lang: str = "en") -> str:
    """The answer to a locked lookup: when to retry, and a person. Says nothing of the order."""
    seconds = (locked_until - utc_naive(now)).total_seconds()
    minutes = max(1, math.ceil(seconds / 60))
    return m.text("identity.locked", lang, when=m.plural("minutes", minutes, lang))


def say_locked(dispatcher: CollectingDispatcher, locked_until: datetime, lang: str = "en") -> None:
    """Tell a locked shopper when to retry and offer a person (same words for unknown orders)."""
    dispatcher.utter_message(text=locked_text(locked_until, lang=lang), buttons=[handoff_button(lang)])


def say_unavailable(dispatcher: CollectingDispatcher, lang: str = "en") -> None:
    """The counters can't be read, so nothing is looked up (fail closed); offer a person."""
    dispatcher.utter_message(text=m.text("identity.unavailable", lang), buttons=[handoff_button(lang)])


class LookupUnavailable(RuntimeError):
    """The failure counters can't be read: lookups are refused."""


def lookup_locked_until(tracker: Tracker, order_number: Optional[str] = None) -> Optional[datetime]:
    """Until when lookups are locked for this conversation, its client address and (if
    given) ``order_number``; None if not locked.

    Raises :class:`LookupUnavailable` when the counters can't be read (fail closed).
    """
    try:
        return services.identity().locked_until(
            tracker.sender_id, source=message_source(tracker), order_number=order_number
        )
    except SQLAlchemyError as exc:
        logger.exception("lock check failed: lookups refused")
        raise LookupUnavailable() from exc


def lookup_locked(tracker: Tracker) -> bool:
    """True while this conversation or its client address is locked out of order lookups,
    or when that can't be checked."""
    try:
        return lookup_locked_until(tracker) is not None
    except LookupUnavailable:
        return True


def refused_this_turn(tracker: Tracker, dispatcher: Optional[CollectingDispatcher] = None) -> bool:
    """True when a lock, outage or rate-limit answer was already given since the shopper's
    last message (by this action call, or an earlier one in the same turn)."""
    texts = [m.get("text") or "" for m in (dispatcher.messages if dispatcher else [])]
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            break
        if event.get("event") == "bot":
            texts.append(event.get("text") or "")
    return any(t.startswith(REFUSAL_PREFIXES) for t in texts)


def say_refusal(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Explain why nothing about an order can be shown: locked, unavailable, or not proven."""
    if refused_this_turn(tracker, dispatcher):
        return
    lang = language(tracker)
    try:
        locked = lookup_locked_until(tracker, tracker.get_slot("order_id"))
    except LookupUnavailable:
        say_unavailable(dispatcher, lang)
        return
    if locked is not None:
        say_locked(dispatcher, locked, lang)
    else:
        dispatcher.utter_message(text=m.text("identity.need_proof", lang))
