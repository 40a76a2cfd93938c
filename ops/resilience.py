"""Rasa-side fault handling: a dead or failing action server must not silence the bot.

Rasa 3.6 has no hook for failed action-server calls: ``RemoteAction.run`` raises, the
processor logs the exception, drops the action's events and carries on, so the shopper
gets no answer (and a hung action server holds the turn for five minutes). The
assistant loads :class:`ResilientRestInput` from ``credentials.yml`` (as ``rest``, so the
URL stays ``/webhooks/rest/webhook``); importing this module wraps ``RemoteAction.run``
once per process so that, for every channel:

* a call is bounded by ``ACTION_TIMEOUT_SECONDS`` (default 15);
* a refused connection, a timeout or an error status (not 400: that is a form
  rejection and keeps Rasa's meaning) becomes the domain response
  ``utter_service_unavailable`` ("can't look that up right now", with a button for a
  person), or a more fitting one for a few actions (handoff);
* an active form is ended, so the shopper is not left inside a form that can't progress;
* later custom actions of the same turn are skipped, so the apology is said once.

The REST channel also records where a message came from (``metadata["source"]``, set by
the server, never taken from the body) for the per-source lookup rate limit.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Dict, List, Optional

from rasa.core.actions import action as rasa_action
from rasa.core.channels.rest import RestInput
from rasa.shared.core.constants import REQUESTED_SLOT
from rasa.shared.core.events import ActiveLoop, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)

DEFAULT_ACTION_TIMEOUT = 15.0
SERVICE_UNAVAILABLE = "utter_service_unavailable"
#: Actions whose failure deserves a more specific apology than "can't look that up".
FALLBACK_RESPONSES: Dict[str, str] = {
    "action_handoff": "utter_handoff_unavailable",
    "action_default_ask_affirmation": "utter_ask_rephrase",
}
APOLOGIES = frozenset({SERVICE_UNAVAILABLE, *FALLBACK_RESPONSES.values()})
_MARK = "_shop_guarded"


def action_timeout() -> float:
    """Seconds Rasa waits for the action server (``ACTION_TIMEOUT_SECONDS``)."""
    raw = os.environ.get("ACTION_TIMEOUT_SECONDS", "").strip()
    try:
        return float(raw) if raw else DEFAULT_ACTION_TIMEOUT
    except ValueError:
        return DEFAULT_ACTION_TIMEOUT


def apologised_this_turn(events: List[Event]) -> bool:
    """True when, since the shopper's last message, the bot already said a service is down."""
    for event in reversed(events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, BotUttered) and (event.metadata or {}).get("utter_action") in APOLOGIES:
            return True
    return False


def _failure_kind(exc: BaseException) -> str:
    """A short, content-free description for the log (never the request or response body)."""
    if isinstance(exc, asyncio.TimeoutError):
        return "timeout"
    cause = exc.__cause__
    status = getattr(cause, "status", None)
    if status is not None:
        return f"status {status}"
    return "unreachable"


def install() -> None:
    """Wrap ``RemoteAction.run`` (idempotent)."""
    remote = rasa_action.RemoteAction
    if getattr(remote.run, _MARK, False):
        return
    original = remote.run

    async def guarded_run(
        self: rasa_action.RemoteAction,
        output_channel: Any,
        nlg: Any,
        tracker: Any,
        domain: Any,
    ) -> List[Event]:
        if apologised_this_turn(list(tracker.events)):
            return []
        try:
            return await asyncio.wait_for(
                original(self, output_channel, nlg, tracker, domain), timeout=action_timeout()
            )
        except rasa_action.ActionExecutionRejection:
            raise
        except (RasaException, asyncio.TimeoutError) as exc:
            logger.warning("event=custom_action_failed action=%s failure=%s", self.name(), _failure_kind(exc))
            return await _apology(self.name(), output_channel, nlg, tracker, domain)

    setattr(guarded_run, _MARK, True)
    remote.run = guarded_run  # type: ignore[method-assign]


async def _apology(name: str, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Event]:
    response = FALLBACK_RESPONSES.get(name, SERVICE_UNAVAILABLE)
    events: List[Event] = await rasa_action.ActionBotResponse(response).run(
        output_channel, nlg, tracker, domain
    )
    if not events:  # the domain lacks the response: still say something
        events = [
            BotUttered(
                "Sorry, I can't do that right now. Please try again in a few minutes.",
                metadata={"utter_action": SERVICE_UNAVAILABLE},
            )
        ]
    if tracker.active_loop_name or name.startswith("validate_"):
        events += [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None)]
    return events


def client_source(request: Any) -> Optional[str]:
    """The client address as the server sees it (``X-Forwarded-For`` only via Sanic's proxy config)."""
    try:
        return str(request.remote_addr or request.ip) or None
    except Exception:  # pragma: no cover - defensive: never fail a message over metadata
        return None


class ResilientRestInput(RestInput):
    """Rasa's REST channel (same URL) that installs the action guard and tags the source."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def get_metadata(self, request: Any) -> Optional[Dict[str, Any]]:
        body = request.json if isinstance(request.json, dict) else {}
        metadata = body.get("metadata")
        metadata = dict(metadata) if isinstance(metadata, dict) else {}
        source = client_source(request)
        if source:
            metadata["source"] = source
        else:
            metadata.pop("source", None)
        return metadata


install()
