"""Two-stage fallback: offer the likeliest intents as buttons."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from typing_extensions import override

from actions.base import ShopAction
from actions.language import language
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


def suggestions(
    intent_ranking: List[Dict[str, Any]], limit: int = MAX_SUGGESTIONS, lang: str = "en"
) -> List[Dict[str, str]]:
    """Buttons for the most likely intents we can name, best first (titles in ``lang``)."""
    buttons: List[Dict[str, str]] = []
    for entry in intent_ranking:
        name = entry.get("name")
        if name in SKIPPED or name not in OFFERED_INTENTS:
            continue
        buttons.append({"title": m.text(f"intent.{name}", lang), "payload": f"/{name}"})
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
        buttons = suggestions(tracker.latest_message.get("intent_ranking") or [], lang=lang)
        buttons.append({"title": m.text("intent.something_else", lang), "payload": "/out_of_scope"})
        dispatcher.utter_message(text=m.text("fallback.did_you_mean", lang), buttons=buttons)
        return []
