"""Session start: Rasa's own (a new session, nothing carried over) plus the channel's
language hint.

Rasa runs ``action_session_start`` before the first message of a session, with that
message's metadata in the ``session_started_metadata`` slot (``rasa.core.processor``'s
``_update_tracker_session``). The widget and Telegram send ``{"language": "zh"}`` there, from
the browser's or the Telegram client's language. The hint is the client's word, so it is
taken only when it is exactly one of the shop's language codes (``SHOP_LANGUAGES``); any other
value is ignored and the shop's default stands until a message's own language says otherwise.

The domain's ``carry_over_slots_to_new_session`` is false (an identity proof must not
outlive its session), so, as Rasa's built-in action would, this carries no slot over.
The action must be listed in domain.yml's ``actions`` for Rasa to call the server's one.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.language import LANGUAGE_SLOT, shop_language

__all__ = ["LANGUAGE_HINT", "SESSION_METADATA_SLOT", "ActionSessionStart", "hinted_language"]

logger = logging.getLogger(__name__)

#: Rasa's slot holding the first message's metadata at session start.
SESSION_METADATA_SLOT = "session_started_metadata"
#: The metadata key the channels put the shopper's language hint under.
LANGUAGE_HINT = "language"


def hinted_language(metadata: Any) -> Optional[str]:
    """The shop language the session-start metadata names, or None (absent, bogus, not ours)."""
    if not isinstance(metadata, dict):
        return None
    return shop_language(metadata.get(LANGUAGE_HINT))


class ActionSessionStart(Action):
    """Starts a session like Rasa's built-in action and sets ``language`` from a valid hint."""

    def name(self) -> str:
        """Rasa's reserved name: the server's action replaces the built-in one."""
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """``session_started``, the language when hinted, then ``action_listen``."""
        events: List[Dict[str, Any]] = [SessionStarted()]
        metadata = tracker.get_slot(SESSION_METADATA_SLOT)
        lang = hinted_language(metadata)
        if lang is not None:
            events.append(SlotSet(LANGUAGE_SLOT, lang))
        elif isinstance(metadata, dict) and LANGUAGE_HINT in metadata:
            logger.info(
                "session language hint ignored: not one of the shop's languages (sender %s)",
                tracker.sender_id,
            )
        events.append(ActionExecuted("action_listen"))
        return events
