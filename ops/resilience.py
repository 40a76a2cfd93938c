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

The REST channel is also where the server takes over what a client sends
(ops/input_guard.py): the conversation is ``rest:<sender>`` (a ``sender`` that is not 1-128
letters, digits or ``-_.~:@+=``, or a ``message`` that is not a string, gets 400 with a JSON
error),
``input_channel`` is always ``rest``, ``metadata["source"]`` is the client address (never
taken from the body), and a message over the size cap is answered at once without NLU.
Loading the channel checks the Rasa server's secrets (:data:`RASA_SECRETS`), so ``rasa
run`` refuses to start with one missing or known, naming the variable.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.actions import action as rasa_action
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.constants import REQUESTED_SLOT
from rasa.shared.core.events import ActiveLoop, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from ops import (
    action_client,
    action_response,
    admission,
    gc_freeze,
    input_guard,
    model_load,
    policy_shortcut,
    quiet_warnings,
    turn_worker,
    warm_up,
)
from shop import secrets
from shop import settings as shop_settings

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
#: What the Rasa server signs or authenticates with; checked when its channels are loaded.
RASA_SECRETS = ("SHOP_SESSION_SECRET", "SHOP_ACTION_TOKEN", "RASA_API_TOKEN")


def action_timeout() -> float:
    """Seconds Rasa waits for the action server (``ACTION_TIMEOUT_SECONDS``)."""
    try:
        return float(shop_settings.value("ACTION_TIMEOUT_SECONDS"))
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
        self.action_endpoint = action_client.pooled(self.action_endpoint)  # kept-alive connections
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


def require_rasa_secrets() -> None:
    """:func:`shop.secrets.require_all` for :data:`RASA_SECRETS`, as a RasaException.

    ``rasa run`` prints a RasaException as one line and exits, so the operator reads which
    variable is missing or weak instead of a traceback.
    """
    try:
        secrets.require_all(RASA_SECRETS)
    except secrets.InsecureSecret as exc:
        raise RasaException(str(exc)) from None


def rest_request_problem(body: Any) -> Optional[str]:
    """Why a REST webhook body is refused, or None (see ops/input_guard.py)."""
    if not isinstance(body, dict):
        return "the body must be a JSON object with `sender` and `message`"
    problem = input_guard.client_id_problem(body.get("sender"))
    if problem:
        return problem
    if not isinstance(body.get("message"), str):
        return "message must be a string"
    return None


class ResilientRestInput(RestInput):
    """Rasa's REST channel (same URL) with the action guard and the server's view of the client."""

    @classmethod
    def name(cls) -> str:
        """The channel name Rasa routes under (``/webhooks/rest/``)."""
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        """Refuse to start without the secrets Rasa needs; no credentials are read."""
        require_rasa_secrets()
        return cls()

    async def _extract_sender(self, req: Request) -> Optional[str]:
        return input_guard.conversation_id(self.name(), req.json["sender"])

    def _extract_input_channel(self, req: Request) -> str:
        return self.name()

    def get_metadata(self, request: Any) -> Optional[Dict[str, Any]]:
        """The client's metadata with ``source`` set by the server, never by the client."""
        body = request.json if isinstance(request.json, dict) else {}
        return input_guard.with_source(body.get("metadata"), client_source(request))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's REST routes with every message passed through the input guard first."""
        bp = super().blueprint(input_guard.guarded(on_new_message))
        warm_up.attach(bp)  # one parse per language, before the freeze and the first shopper
        gc_freeze.attach(bp)  # the model out of full garbage collections, once it is loaded
        turn_worker.attach(bp)  # steps on the worker thread once warm and frozen (after those two)
        action_client.attach(bp)  # the pooled action server connections closed on stop

        @bp.middleware("request")
        async def refuse_bad_bodies(request: Request) -> Optional[HTTPResponse]:
            if request.method != "POST":
                return None
            try:
                body = request.json
            except Exception:
                body = None
            problem = rest_request_problem(body)
            if problem:
                return response.json({"error": "bad_request", "message": problem}, status=400)
            return None

        return bp


install()
action_response.install()  # Rasa's check of action answers, schema checked once
policy_shortcut.install()  # TED only when it could win (before Rasa loads the model)
model_load.install()  # TED's weights built without tracing a training graph (idem)
turn_worker.install()  # NLU, predictions and the SQL store on one thread per process, off the event loop
admission.install()  # at most RASA_MAX_CONCURRENT_TURNS turns at once, the rest wait before the lock
quiet_warnings.install()  # one Sanic websocket warning per widget visitor, not ours to fix
