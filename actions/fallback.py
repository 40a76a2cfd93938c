"""Two-stage fallback: offer the likeliest intents as buttons."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from typing_extensions import override

from actions import services
from actions.base import ShopAction
from actions.language import LANGUAGE_SLOT, language
from shop import messages as m

#: The intents a button can offer, in the catalogue as ``intent.<name>``.
OFFERED_INTENTS = (
    "order_status",
    "list_orders",
    "cancel_order",
    "return_item",
    "return_status",
    "human_handoff",
    "product_question",
    "recommend_product",
    "apply_coupon",
    "ask_discounts",
    "greet",
    "bot_challenge",
)
#: English button titles (kept for callers that read them).
INTENT_TITLES = {name: m.text(f"intent.{name}", "en") for name in OFFERED_INTENTS}
SKIPPED = {"nlu_fallback", "out_of_scope", "inform", "affirm", "deny"}
MAX_SUGGESTIONS = 3


def payload(intent: str, tag: Optional[str] = None) -> str:
    """``/intent``, or ``/intent{"language": "zh"}`` when the shopper's language must ride along.

    Rasa's two-stage fallback takes back the unclear message when a button is pressed and
    feeds the button's payload in its place: the turn that set the ``language`` slot is
    gone, and a payload has no words to detect a language in. The entity sets it again.
    """
    return f"/{intent}" + (json.dumps({LANGUAGE_SLOT: tag}) if tag else "")


def suggestions(
    intent_ranking: List[Dict[str, Any]], limit: int = MAX_SUGGESTIONS, lang: str = "en", tag: bool = False
) -> List[Dict[str, str]]:
    """Buttons for the most likely intents we can name, best first (titles in ``lang``;
    ``tag``: payloads carry ``lang``, see :func:`payload`)."""
    buttons: List[Dict[str, str]] = []
    for entry in intent_ranking:
        name = entry.get("name")
        if name in SKIPPED or name not in OFFERED_INTENTS:
            continue
        buttons.append(
            {"title": m.text(f"intent.{name}", lang), "payload": payload(name, lang if tag else None)}
        )
        if len(buttons) == limit:
            break
    return buttons


class ActionDefaultAskAffirmation(ShopAction):
    """Rasa's second fallback stage: a low-confidence message gets the likely intents as buttons."""

    @override
    def name(self) -> str:
        return "action_default_ask_affirmation"

    @override
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        lang = language(tracker)
        tag = lang != services.languages()[0]  # the default needs no tag: it is what's left
        buttons = suggestions(tracker.latest_message.get("intent_ranking") or [], lang=lang, tag=tag)
        buttons.append(
            {
                "title": m.text("intent.something_else", lang),
                "payload": payload("out_of_scope", lang if tag else None),
            }
        )
        dispatcher.utter_message(text=m.text("fallback.did_you_mean", lang), buttons=buttons)
        return []


class ActionDefaultFallback(ShopAction):
    """Rasa's last resort ("Sorry, I'm not sure I can help with that") in the shopper's language.

    Rasa's own renders ``utter_default`` from the slots as they are after a rewind, which
    can have taken back the turn that set ``language``: a Chinese shopper got English. This
    one reads the session's language (:func:`actions.language.language`), takes the message
    back as Rasa's does, and sets the slot again after it. Used once the domain lists
    ``action_default_fallback`` under ``actions``.
    """

    @override
    def name(self) -> str:
        return "action_default_fallback"

    @override
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        lang = language(tracker)
        dispatcher.utter_message(text=m.text("fallback.default", lang))
        return [UserUtteranceReverted(), SlotSet(LANGUAGE_SLOT, lang)]
