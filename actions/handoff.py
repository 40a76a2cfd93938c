"""Human handoff: record the request, tell the shopper, pause the bot."""

from __future__ import annotations

import logging
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions import services

logger = logging.getLogger(__name__)

MAX_REASON_CHARS = 300


class ActionHandoff(Action):
    """Queues the conversation for the support team and pauses the bot for it.

    The console's agents take it from the queue; the bot stays silent until an
    agent hands the conversation back (a ``resume`` event).
    """

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        channel = tracker.get_latest_input_channel() or "unknown"
        reason = " ".join((tracker.latest_message.get("text") or "asked for a person").split())
        try:
            request = await services.run_blocking(
                services.handoff().request, tracker.sender_id, channel, reason[:MAX_REASON_CHARS]
            )
        except SQLAlchemyError:
            logger.exception("handoff queue unavailable")
            dispatcher.utter_message(response="utter_handoff_unavailable")
            return []
        already = "" if request.created else "You're already in the queue. "
        dispatcher.utter_message(
            text=(
                f"{already}I've asked a person from our support team to join this chat "
                f"(request #{request.id}). During opening hours (Mon-Fri 9:00-18:00 ET) someone "
                "usually replies within 10 minutes; outside them, first thing the next working day. "
                "Stay in this chat: they'll see everything we've said so far, so you won't need "
                "to repeat yourself. I'll stay quiet until they're done."
            )
        )
        return [ConversationPaused()]
