"""ops.policy_shortcut: TED runs only when it could win, and Rasa picks the same prediction.

The rule (:func:`ted_could_win`) is checked against Rasa's own ensemble on hand-made
predictions, and then the whole thing on the real model: the test stories replayed through
Rasa's story evaluation with ``VERIFY`` on (every deferred TED pass is made anyway and any
difference in the chosen prediction raises), every story still predicted right, and TED
skipped for most predictions.
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List

import pytest
from rasa.core.agent import Agent
from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.test import test as evaluate_stories
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from harness.paths import ROOT, require_model
from ops import model_load, policy_shortcut
from ops.policy_shortcut import DeferredPrediction, ted_could_win

DOMAIN = Domain.from_dict({"intents": ["greet"], "actions": ["action_a", "action_b"]})
N = len(DOMAIN.action_names_or_texts)
A, B = DOMAIN.index_for_action("action_a"), DOMAIN.index_for_action("action_b")


class FakeTED:
    """What DeferredPrediction reads of a TED policy (priority, what it was trained on)."""

    def __init__(self, text_trained: bool = False) -> None:
        self.priority = 1
        self.only_e2e = False
        self.fake_features: Dict[str, List[Any]] = {"text": []} if text_trained else {}


def probs(index: int, confidence: float) -> List[float]:
    out = [0.0] * N
    out[index] = confidence
    return out


def rule(index: int, confidence: float = 1.0, **kw: Any) -> PolicyPrediction:
    return PolicyPrediction(probs(index, confidence), "RulePolicy", 6, **kw)


def memo(index: int, confidence: float = 1.0) -> PolicyPrediction:
    return PolicyPrediction(probs(index, confidence), "MemoizationPolicy", 3)


def tracker(*events: Any) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        "s", [ActionExecuted("action_listen"), UserUttered("hi"), *events]
    )


def deferred(ted_says: PolicyPrediction, text_trained: bool = False) -> DeferredPrediction:
    made: List[int] = []

    def compute() -> PolicyPrediction:
        made.append(1)
        return ted_says

    d = DeferredPrediction(FakeTED(text_trained), compute)  # type: ignore[arg-type]
    d.made = made  # type: ignore[attr-defined]
    return d


def ted(index: int, confidence: float, **kw: Any) -> PolicyPrediction:
    return PolicyPrediction(probs(index, confidence), "TEDPolicy", 1, **kw)


CASES = [
    # (others, TED's real prediction, tracker events, could TED win?)
    ([rule(A), memo(B, 0.0)], ted(B, 1.0), [], False),  # a rule at 1.0 beats any TED
    ([rule(A, 0.0), memo(B)], ted(A, 1.0), [], False),  # so does memoization at 1.0
    ([rule(A, 0.0), memo(B, 0.0)], ted(B, 0.9), [], True),  # nobody sure: TED decides
    ([rule(A, 0.3), memo(B, 0.0)], ted(B, 0.9), [], True),  # a fallback-level rule: TED can win
    ([rule(A), memo(B, 0.0)], ted(B, 0.9), [ActionExecutionRejected("action_a")], True),  # rule rejected
    ([rule(A, is_no_user_prediction=True)], ted(B, 1.0), [], False),  # "no user" overrules
    ([rule(A, 0.5, is_end_to_end_prediction=True)], ted(B, 1.0), [], False),  # e2e overrules
]


@pytest.mark.parametrize("others,real,events,could_win", CASES)
def test_ted_is_skipped_only_when_rasa_would_not_pick_it(
    others: List[PolicyPrediction], real: PolicyPrediction, events: List[Any], could_win: bool
) -> None:
    t = tracker(*events)
    d = deferred(real)
    assert ted_could_win(d, others, t, DOMAIN) is could_win
    ensemble = DefaultPolicyPredictionEnsemble()
    policy_shortcut.install()
    patched = DefaultPolicyPredictionEnsemble.combine_predictions_from_kwargs
    original = patched.__wrapped__  # type: ignore[attr-defined]
    kwargs = {f"p{i}": p for i, p in enumerate(others)}
    expected = original(ensemble, t, DOMAIN, **copies(kwargs), ted=copy(real))
    got = patched(ensemble, t, DOMAIN, **copies(kwargs), ted=d)
    assert got == expected and got.policy_name == expected.policy_name
    assert d.made == ([1] if could_win else [])  # type: ignore[attr-defined]


def test_a_text_trained_ted_runs_unless_a_no_user_prediction_is_there() -> None:
    t = tracker()
    assert ted_could_win(deferred(ted(A, 1.0), text_trained=True), [rule(B)], t, DOMAIN)
    assert not ted_could_win(
        deferred(ted(A, 1.0), text_trained=True), [rule(B, is_no_user_prediction=True)], t, DOMAIN
    )


def test_ted_is_deferred_only_while_the_processor_predicts() -> None:
    def real_ted(self: Any, *args: Any, **kwargs: Any) -> PolicyPrediction:
        return ted(A, 0.5)

    predict = policy_shortcut._ted_predict(real_ted)
    assert predict(FakeTED(), "tracker") == ted(A, 0.5)  # a direct call: TED's own answer

    def processor_predict(self: Any, tracker: Any) -> Any:
        return predict(FakeTED(), tracker)

    inside = policy_shortcut._processor_predict(processor_predict)(None, "tracker")  # type: ignore[arg-type]
    assert isinstance(inside, DeferredPrediction)
    assert inside.resolve() == ted(A, 0.5)
    assert predict(FakeTED(), "tracker") == ted(A, 0.5)  # and again outside


def copy(p: PolicyPrediction) -> PolicyPrediction:
    return PolicyPrediction(
        list(p.probabilities), p.policy_name, p.policy_priority, list(p.events), list(p.optional_events),
        p.is_end_to_end_prediction, p.is_no_user_prediction,
    )  # fmt: skip


def copies(kwargs: Dict[str, PolicyPrediction]) -> Dict[str, PolicyPrediction]:
    return {k: copy(v) for k, v in kwargs.items()}


def test_the_test_stories_predict_the_same_with_ted_skipped() -> None:
    policy_shortcut.install()  # before the model is loaded: graph nodes bind their functions then
    model_load.install()  # as every Rasa server of the assistant loads it (ops.resilience)
    agent = Agent.load(str(require_model()))
    policy_shortcut.COUNTS.clear()
    policy_shortcut.VERIFY["on"] = True
    try:
        result = asyncio.run(
            evaluate_stories(
                str(ROOT / "tests" / "stories"),
                agent,
                fail_on_prediction_errors=True,
                errors=False,
                disable_plotting=True,
            )
        )
    finally:
        policy_shortcut.VERIFY["on"] = False
    assert result["accuracy"] == 1.0  # fail_on_prediction_errors raised otherwise
    skipped, ran = policy_shortcut.COUNTS["skipped"], policy_shortcut.COUNTS["run"]
    # Rules and memorised stories settle these conversations: TED is needed for few if any
    # predictions (none with the model of 2 December 2026: 284 skipped).
    assert skipped > 0 and skipped / (skipped + ran) > 0.5
