"""Human handoff: record the request, tell the shopper, pause the bot.

Requests are bounded per conversation and per client address (``shop.handoff``); past
the quota the shopper is told when to ask again and given the support email instead.
"""

from __future__ import annotations

import logging
import math
from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError
from typing_extensions import override

from actions import services
from actions.base import ShopAction
from actions.identity import message_source
from actions.language import language
from shop import messages as m
from shop.clock import naive_utc as utc_naive
from shop.handoff import HandoffRateLimited

logger = logging.getLogger(__name__)

MAX_REASON_CHARS = 300
SUPPORT_EMAIL = "support@example.com"


def rate_limited_text(exc: HandoffRateLimited, lang: str = "en") -> str:
    """Past the hand-off quota: when to ask again (whole minutes), and the support email."""
    minutes = max(1, math.ceil((exc.retry_at - utc_naive()).total_seconds() / 60))
    when = m.plural("minutes", minutes, lang)
    return m.text("handoff.rate_limited", lang, when=when, email=SUPPORT_EMAIL)


class ActionHandoff(ShopAction):
    """Queues the conversation for the support team and pauses the bot for it.

    The console's agents take it from the queue; the bot stays silent until an
    agent hands the conversation back (a ``resume`` event).
    """

    @override
    def name(self) -> str:
        return "action_handoff"

    @override
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        lang = language(tracker)
        channel = tracker.get_latest_input_channel() or "unknown"
        reason = " ".join((tracker.latest_message.get("text") or "asked for a person").split())
        try:
            request = await services.run_blocking(
                services.handoff().request,
                tracker.sender_id,
                channel,
                reason[:MAX_REASON_CHARS],
                source=message_source(tracker),
            )
        except HandoffRateLimited as exc:
            logger.info("handoff request refused: over the quota (sender %s)", tracker.sender_id)
            dispatcher.utter_message(text=rate_limited_text(exc, lang))
            return []
        except SQLAlchemyError:
            logger.exception("handoff queue unavailable")
            dispatcher.utter_message(response="utter_handoff_unavailable")
            return []
        already = "" if request.created else m.text("handoff.already_queued", lang)
        # handoff=requested travels with the text to the widget (channels/socketio_web.py), which
        # then shows no typing indicator while the paused bot waits for a person.
        dispatcher.utter_message(
            text=m.text("handoff.requested", lang, already=already, request=request.id), handoff="requested"
        )
        return [ConversationPaused()]
