"""Two-stage fallback: offer the likeliest intents as buttons."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from typing_extensions import override

from actions.base import ShopAction

INTENT_TITLES = {
    "order_status": "Track an order",
    "list_orders": "See my recent orders",
    "cancel_order": "Cancel an order",
    "return_item": "Return an item",
    "return_status": "Check a return or refund",
    "human_handoff": "Talk to a person",
    "product_question": "Ask about a product",
    "recommend_product": "Get product suggestions",
    "apply_coupon": "Use a coupon code",
    "ask_discounts": "See current deals",
    "greet": "Just saying hi",
    "bot_challenge": "Am I talking to a bot?",
}
SKIPPED = {"nlu_fallback", "out_of_scope", "inform", "affirm", "deny"}
MAX_SUGGESTIONS = 3


def suggestions(intent_ranking: List[Dict[str, Any]], limit: int = MAX_SUGGESTIONS) -> List[Dict[str, str]]:
    """Buttons for the most likely intents we can name, best first."""
    buttons: List[Dict[str, str]] = []
    for entry in intent_ranking:
        name = entry.get("name")
        if name in SKIPPED or name not in INTENT_TITLES:
            continue
        buttons.append({"title": INTENT_TITLES[name], "payload": f"/{name}"})
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
        buttons = suggestions(tracker.latest_message.get("intent_ranking") or [])
        buttons.append({"title": "Something else", "payload": "/out_of_scope"})
        dispatcher.utter_message(
            text="Sorry, I'm not sure I understood. Did you mean one of these?", buttons=buttons
        )
        return []
