"""ops.action_response: Rasa's check of action server answers, with the schema checked once.

The cached validator must accept and refuse exactly what ``jsonschema.validate`` (Rasa's own
check) accepts and refuses, with the same error and Rasa's message suffix.
"""

from __future__ import annotations

import time
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
