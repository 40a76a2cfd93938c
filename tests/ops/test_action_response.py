"""ops.action_response: Rasa's check of action server answers, with the schema checked once.

The cached validator must accept and refuse exactly what ``jsonschema.validate`` (Rasa's own
check) accepts and refuses, with the same error and Rasa's message suffix.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Dict

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from ops import action_response

SCHEMA = RemoteAction.action_response_format_spec()
GOOD: Dict[str, Any] = {
    "events": [
        {"event": "slot", "name": "order_id", "value": "104523", "timestamp": None},
        {"event": "active_loop", "name": None},
    ],
    "responses": [{"text": "Order #104523 shipped", "buttons": [{"title": "Yes", "payload": "/affirm"}]}],
}
BAD = [
    {"events": [{"event": "slot"}]},  # a slot event without a name
    {"events": "not a list"},
    {"responses": ["not an object"]},
    {"events": [{"event": "no_such_event"}]},
]


def test_accepts_what_rasa_accepts() -> None:
    jsonschema.validate(GOOD, SCHEMA)  # the reference: Rasa's own call
    assert action_response.validate_action_result(None, GOOD) is True
    assert action_response.validate_action_result(None, {}) is True


@pytest.mark.parametrize(
    "body", BAD, ids=["slot-without-name", "events-not-list", "response-not-object", "unknown-event"]
)
def test_refuses_what_rasa_refuses_with_the_same_error(body: Dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError) as reference:
        jsonschema.validate(body, SCHEMA)
    with pytest.raises(jsonschema.ValidationError) as ours:
        action_response.validate_action_result(None, body)
    assert ours.value.message == reference.value.message + action_response.SUFFIX
    assert list(ours.value.absolute_path) == list(reference.value.absolute_path)


def test_install_replaces_rasas_check_once() -> None:
    action_response.install()
    first = RemoteAction._validate_action_result
    action_response.install()
    assert RemoteAction._validate_action_result is first
    assert RemoteAction(name="x", action_endpoint=None)._validate_action_result(GOOD) is True


def test_cached_check_is_much_cheaper_than_rasas() -> None:
    """The point of the module: no metaschema check per answer (measured, not assumed)."""
    rounds = 20
    action_response.validate_action_result(None, GOOD)  # build the validator
    started = time.perf_counter()
    for _ in range(rounds):
        jsonschema.validate(GOOD, SCHEMA)
    reference = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(rounds):
        action_response.validate_action_result(None, GOOD)
    ours = time.perf_counter() - started
    assert ours * 3 < reference, (ours, reference)


def _rasa_events() -> list:
    """One event of each kind an action may return, as Rasa's own classes write them."""
    from rasa.shared.core import events as ev

    made = [
        ev.SlotSet("order_id", "104523"),
        ev.SlotSet("cart", [{"sku": "A", "qty": 2}], timestamp=1.5, metadata={"k": 1}),
        ev.ActiveLoop("order_status_form"),
        ev.ActiveLoop(None),
        ev.BotUttered("hi", {"buttons": [{"title": "Yes", "payload": "/affirm"}]}, {"utter_action": "u"}),
        ev.UserUttered("hi", {"name": "greet", "confidence": 0.9}, [{"entity": "e", "start": 0, "end": 2}]),
        ev.FollowupAction("action_listen"),
        ev.ActionExecuted("action_order_status", policy="RulePolicy", confidence=1.0),
        ev.ActionExecutionRejected("order_status_form"),
        ev.Restarted(),
        ev.AllSlotsReset(),
        ev.ConversationPaused(),
        ev.ConversationResumed(),
        ev.StoryExported(),
        ev.ActionReverted(),
        ev.UserUtteranceReverted(),
        ev.LoopInterrupted(True),
        ev.SessionStarted(),
        ev.ReminderScheduled("remind", datetime(2030, 1, 1), name="r1"),
        ev.ReminderCancelled(name="r1"),
        ev.AgentUttered("text"),
    ]
    return [e.as_dict() for e in made]


def _mutants(event: Dict[str, Any]) -> list:
    """The event with each field in turn replaced by values of other types, and dropped."""
    out = []
    for key in event:
        for value in (None, 5, 2.5, "x", [], [1], {}, {"a": 1}, True):
            out.append({**event, key: value})
        out.append({k: v for k, v in event.items() if k != key})
    return out


def _full_accepts(body: Dict[str, Any]) -> bool:
    return action_response.response_validator().is_valid(body)


def test_cheap_check_accepts_exactly_what_the_full_schema_accepts() -> None:
    assert action_response.event_validators() is not None  # the fast path is in use
    corpus = [e for event in _rasa_events() for e in (event, *_mutants(event))]
    corpus += [{"event": "no_such_event"}, {}, "slot", None]
    accepted = 0
    for event in corpus:
        body = {"events": [event], "responses": GOOD["responses"]}
        assert action_response.surely_valid(body) == _full_accepts(body), event
        accepted += _full_accepts(body)
    assert 0 < accepted < len(corpus)  # both kinds were compared
    for body in (GOOD, {}, {"events": []}, *BAD, {"events": None}, [], {"responses": [{}]}):
        assert action_response.surely_valid(body) == _full_accepts(body), body
