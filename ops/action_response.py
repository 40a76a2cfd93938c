"""Rasa's check of each action server answer, without re-checking the schema every time.

Rasa 3.6 validates every action server response with ``jsonschema.validate(response,
RemoteAction.action_response_format_spec())``. ``jsonschema.validate`` first validates the
*schema* against its metaschema (``check_schema``) and builds a new validator, on every call:
under a 40-shopper crowd that was about a quarter of the Rasa process's CPU in turns with a
custom action (docs/performance.md). The schema never changes, so this module checks it once
and keeps one validator. What is accepted and what is raised stay exactly Rasa's:
``jsonschema.validate`` raises ``best_match`` of the same errors, and Rasa's message suffix
is kept. Installed by ops/resilience.py, which the Rasa server loads with its REST channel.
"""

from __future__ import annotations

import copy
import functools
import json
from typing import Any, Dict, Optional, Tuple

from jsonschema import exceptions, validators
from jsonschema.protocols import Validator
from rasa.core.actions import action as rasa_action
from rasa.shared.constants import DOCS_BASE_URL

_MARK = "_shop_cached_validator"
#: The text Rasa appends to a failed validation's message (rasa/core/actions/action.py).
SUFFIX = (
    ". Failed to validate Action server response from API, "
    "make sure your response from the Action endpoint is valid. "
    f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
)


@functools.cache
def response_validator() -> Validator:
    """The one validator of action server answers (the schema checked once, here)."""
    schema = rasa_action.RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@functools.cache
def event_validators() -> Optional[Tuple[Validator, Dict[str, Validator]]]:
    """(the answer without its events' items, {event name: validator of such an event}).

    None when the schema is not shaped as this relies on (references, or a branch without a
    unique ``event`` constant): then every answer takes the full check.
    """
    schema = rasa_action.RemoteAction.action_response_format_spec()
    events = schema.get("properties", {}).get("events", {})
    item = events.get("items", {})
    branches = item.get("oneOf")
    if "$ref" in json.dumps(schema) or not isinstance(branches, list):
        return None
    names = [b.get("properties", {}).get("event", {}).get("const") for b in branches]
    if not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
        return None
    cls = validators.validator_for(schema)
    outer = copy.deepcopy(schema)
    outer["properties"]["events"] = {k: v for k, v in events.items() if k != "items"}
    rules = {k: v for k, v in item.items() if k != "oneOf"}
    return cls(outer), {n: cls({**rules, "allOf": [b]}) for n, b in zip(names, branches, strict=True)}


def surely_valid(result: Any) -> bool:
    """True only for an answer the full schema accepts (False: let the full check decide)."""
    checks = event_validators()
    if checks is None or not isinstance(result, dict):
        return False
    outer, per_event = checks
    if not outer.is_valid(result):
        return False
    for event in result.get("events") or []:
        name = event.get("event") if isinstance(event, dict) else None
        check = per_event.get(name) if isinstance(name, str) else None
        if check is None or not check.is_valid(event):
            return False
    return True


def validate_action_result(self: Any, result: Dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result`` with the cached validator; same errors."""
    if surely_valid(result):
        return True
    error = exceptions.best_match(response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += SUFFIX
    raise error


def install() -> None:
    """Replace ``RemoteAction._validate_action_result`` (idempotent)."""
    remote = rasa_action.RemoteAction
    if getattr(remote._validate_action_result, _MARK, False):
        return
    setattr(validate_action_result, _MARK, True)
    remote._validate_action_result = validate_action_result  # type: ignore[method-assign]
