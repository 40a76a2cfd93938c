"""Rasa sends the domain only to the actions that read it (domain.yml's ``send_domain``, issue 13).

With ``enable_selective_domain`` on the action endpoint, Rasa 3.6 puts the domain (~18 KB of
JSON) into a call only for the actions domain.yml marks ``send_domain: true`` (and any
``validate_*``); rasa-sdk hands the others ``{}``. So an action that reads its ``domain``
argument must be marked, and one that is marked should read it.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from functools import cache
from typing import Any, Dict, List, Set

import yaml
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.forms import FormValidationAction

from harness.paths import ROOT

DOMAIN_FILE = ROOT / "domain.yml"


@cache
def domain() -> Domain:
    """The domain as a trained model stores and loads it (``as_dict`` and back)."""
    return Domain.from_dict(Domain.load(str(DOMAIN_FILE)).as_dict())


def custom_actions() -> List[str]:
    """The names under domain.yml's ``actions``."""
    listed = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))["actions"]
    return [a if isinstance(a, str) else next(iter(a)) for a in listed]


@cache
def registered() -> Dict[str, Action]:
    """The action server's actions by name (rasa-sdk's registration of the ``actions`` package).

    rasa-sdk registers every subclass it knows, so classes other tests define in the same
    process (a form validator in tests/actions) are left out: only ``actions.*`` ones count.
    """
    executor = ActionExecutor()
    executor.register_package("actions")
    actions = {name: run.__self__ for name, run in executor.actions.items()}
    return {name: a for name, a in actions.items() if type(a).__module__.startswith("actions.")}


def passes_to_super(node: ast.Name, parents: Dict[ast.AST, ast.AST]) -> bool:
    """``domain`` given on to ``super().<method>(...)`` (read there, if anywhere: checked there)."""
    call = parents.get(node)
    if isinstance(call, ast.keyword):
        call = parents.get(call)
    return (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and isinstance(call.func.value, ast.Call)
        and isinstance(call.func.value.func, ast.Name)
        and call.func.value.func.id == "super"
    )


def domain_reads(action: Action, package: str = "actions.") -> Set[str]:
    """``Class.method:line`` wherever the action's own code (the classes of ``package`` in its
    MRO) uses a ``domain`` parameter other than handing it to ``super()``."""
    found = set()
    for cls in type(action).__mro__:
        if not cls.__module__.startswith(package):
            continue
        lines, first = inspect.getsourcelines(cls)
        tree = ast.parse(textwrap.dedent("".join(lines)))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        methods = [f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)]
        for fn in (f for f in methods if "domain" in [a.arg for a in f.args.args]):
            for node in ast.walk(fn):
                if isinstance(node, ast.Name) and node.id == "domain" and not passes_to_super(node, parents):
                    found.add(f"{cls.__name__}.{fn.name}:{first + node.lineno - 1}")
    return found


def call_of(name: str) -> Dict[str, Any]:
    """What Rasa would send the action server for ``name`` with the selective domain on."""
    endpoint = EndpointConfig("http://127.0.0.1:5055/webhook", enable_selective_domain=True)
    tracker = DialogueStateTracker.from_events("selective", [SessionStarted(), UserUttered("hello")])
    return RemoteAction(name, endpoint)._action_call_format(tracker, domain())


def test_every_listed_action_is_the_servers() -> None:
    assert set(custom_actions()) <= set(registered())


def test_the_domain_goes_to_the_form_validators_only() -> None:
    marked = {name for name in custom_actions() if domain().does_custom_action_explicitly_need_domain(name)}
    validators = {name for name, action in registered().items() if isinstance(action, FormValidationAction)}
    assert validators and marked == validators


def test_no_other_action_reads_its_domain_argument() -> None:
    readers = {}
    for name in custom_actions():
        action = registered()[name]
        if not domain().does_custom_action_explicitly_need_domain(name):
            reads = domain_reads(action)
            if reads:
                readers[name] = sorted(reads)
    assert readers == {}, f"these read the domain Rasa no longer sends them (mark send_domain): {readers}"


def test_the_reader_check_sees_a_read() -> None:
    """The check above finds a plain read of ``domain`` (and the validators' pass-through)."""

    class Reads(Action):
        def name(self) -> str:
            return "action_example"

        async def run(self, dispatcher: Any, tracker: Any, domain: Dict[str, Any]) -> List[Any]:
            return [] if domain.get("forms") else []

    assert domain_reads(Reads(), Reads.__module__) == {f"Reads.run:{inspect.getsourcelines(Reads)[1] + 5}"}
    assert domain_reads(registered()["action_order_status"]) == set()


def test_rasa_sends_the_domain_to_a_validator_and_not_to_the_others() -> None:
    assert call_of("validate_order_status_form")["domain"]["forms"]["order_status_form"]
    for name in ("action_session_start", "action_order_status", "action_answer_product_question"):
        call = call_of(name)
        assert "domain" not in call and call["tracker"]["sender_id"] == "selective"
