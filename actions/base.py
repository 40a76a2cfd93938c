"""A base for actions that act on one verified order."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions import services
from actions.identity import is_verified_for, say_refusal, verified_customer
from shop.orders import OrderNotFound

logger = logging.getLogger(__name__)

EventList = List[Dict[str, Any]]


class VerifiedOrderAction(Action, ABC):
    """Runs :meth:`act` only for an order the shopper proved is theirs.

    Otherwise it explains why nothing is shown. A database failure becomes a
    polite "can't look that up right now" with an offer of a person.
    """

    @abstractmethod  # abstract, so rasa_sdk's executor does not register the base itself
    def name(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> EventList:
        order_number: Optional[str] = tracker.get_slot("order_id")
        customer_id = verified_customer(tracker)
        try:
            if customer_id is None or not is_verified_for(tracker, order_number):
                # Locked (when to retry, a person), counters unavailable, or simply not proven;
                # nothing again if the form already said why this turn.
                await services.run_blocking(say_refusal, dispatcher, tracker)
                return await self.on_unverified(tracker)
            assert order_number is not None
            return await self.act(dispatcher, tracker, customer_id, order_number)
        except OrderNotFound:
            dispatcher.utter_message(
                text="I couldn't find an order with that number and email. Please check both and try again."
            )
            return await self.on_unverified(tracker)
        except SQLAlchemyError:
            logger.exception("order database unavailable in %s", self.name())
            dispatcher.utter_message(response="utter_service_unavailable")
            return await self.on_unverified(tracker)

    async def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        customer_id: int,
        order_number: str,
    ) -> EventList:  # pragma: no cover - abstract
        raise NotImplementedError

    async def on_unverified(self, tracker: Tracker) -> EventList:
        """Events to return when nothing could be done (default: none)."""
        return []
