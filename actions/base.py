"""Bases for the shop's actions: a named action, the shared outage reply, one verified order."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError
from typing_extensions import override

from actions import services
from actions.identity import is_verified_for, say_refusal, verified_customer
from actions.language import language
from shop import messages as m
from shop.orders import OrderNotFound

logger = logging.getLogger(__name__)

EventList = List[Dict[str, Any]]


def service_unavailable(dispatcher: CollectingDispatcher, where: str) -> EventList:
    """Log the failure with its traceback and send the shared apology, which offers a person.

    Call it from an ``except`` block: a shop database that is down must never look like
    "no such order" or "nothing found".
    """
    logger.exception("shop database unavailable in %s", where)
    dispatcher.utter_message(response="utter_service_unavailable")
    return []


class ShopAction(Action, ABC):
    """A rasa-sdk action of this shop; bases stay abstract so the executor skips them."""

    @abstractmethod
    def name(self) -> str:  # pragma: no cover - abstract
        """The action's name as domain.yml lists it."""
        raise NotImplementedError

    @abstractmethod
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> EventList:  # pragma: no cover - abstract
        """Answer through ``dispatcher`` and return the events for the tracker (rasa-sdk's call)."""
        raise NotImplementedError


class VerifiedOrderAction(ShopAction):
    """Runs :meth:`act` only for an order the shopper proved is theirs.

    Otherwise it explains why nothing is shown. A database failure becomes a
    polite "can't look that up right now" with an offer of a person.
    """

    @override
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> EventList:
        """Check the proof for the slot's order, then :meth:`act`; refusals and outages answered."""
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
            # The identity check's own words: nothing tells an unknown order from a wrong email.
            dispatcher.utter_message(text=m.text("identity.no_match", language(tracker)))
            return await self.on_unverified(tracker)
        except SQLAlchemyError:
            service_unavailable(dispatcher, self.name())
            return await self.on_unverified(tracker)

    async def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        customer_id: int,
        order_number: str,
    ) -> EventList:  # pragma: no cover - abstract
        """Do the action's work for ``order_number``, proven to belong to ``customer_id``."""
        raise NotImplementedError

    async def on_unverified(self, tracker: Tracker) -> EventList:
        """Events to return when nothing could be done (default: none)."""
        return []
