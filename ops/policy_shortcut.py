"""TED's prediction computed only when it could win: the same next action, fewer TED passes.

Rasa runs every policy for every prediction and then picks one (``DefaultPolicyPredictionEnsemble``):
"no user" predictions first, then end-to-end ones, then the highest confidence, ties going to
the higher priority. TED is the costly one (a TensorFlow pass, 5-6 ms per prediction, 2-2.3
predictions per turn: docs/performance.md), and it often cannot win: when the RulePolicy or
the MemoizationPolicy predicts an action with confidence 1.0, TED (priority 1, confidences at
most 1.0, never a "no user" prediction, and here never end-to-end) loses whatever it says.

So, while the processor predicts the next action, ``TEDPolicy.predict_action_probabilities``
returns a :class:`DeferredPrediction` that holds the call, and the ensemble runs it only if
TED could win against the other policies' predictions (:func:`ted_could_win`, which reads
them exactly as the ensemble does, including the confidence of a just-rejected action set to
0). A deferred prediction that cannot win is left out of the choice; it would have added no
events (TED adds none unless it wins). The winner, its probabilities, events, policy name and
confidence (recorded in the tracker) are Rasa's own, prediction for prediction:
``tests/ops/test_policy_shortcut.py`` replays the test stories with :data:`VERIFY` on, which
runs every TED pass anyway and fails on any difference.

A TED that may predict end-to-end (trained on texts) is always run: an end-to-end prediction
overrules the others. Calls outside the processor's prediction (tests, tools) are not deferred.
Installed by ops/resilience.py (the REST channel every Rasa server of this assistant loads),
before Rasa loads the model (graph nodes look their functions up when the model loads).
"""

from __future__ import annotations

import contextvars
import functools
from collections import Counter
from typing import Any, Callable, Dict, List, Optional

from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.core.processor import MessageProcessor
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT

__all__ = ["COUNTS", "VERIFY", "DeferredPrediction", "install", "ted_could_win"]

_MARK = "_shop_policy_shortcut"
#: Set while the processor predicts the next action (the only place TED is deferred).
_DEFERRING: contextvars.ContextVar[bool] = contextvars.ContextVar("shop_defer_ted", default=False)
#: "skipped": TED passes not needed; "run": passes made (deferred ones that could win).
COUNTS: Counter = Counter()
#: Tests: run every deferred TED pass too and fail if the shortcut would choose differently.
VERIFY = {"on": False}


class DeferredPrediction(PolicyPrediction):
    """A TED prediction not made yet: :meth:`resolve` makes it (once)."""

    def __init__(self, policy: TEDPolicy, compute: Callable[[], PolicyPrediction]) -> None:
        super().__init__([], policy.__class__.__name__, policy.priority)
        self.end_to_end_possible = may_predict_end_to_end(policy)
        self._compute = compute
        self._made: Optional[PolicyPrediction] = None

    def resolve(self) -> PolicyPrediction:
        """The real prediction (TED's pass runs now, at most once)."""
        if self._made is None:
            self._made = self._compute()
        return self._made


def may_predict_end_to_end(policy: TEDPolicy) -> bool:
    """Whether this TED can make an end-to-end prediction (it was trained on texts)."""
    fake = getattr(policy, "fake_features", None) or {}
    return bool(getattr(policy, "only_e2e", False)) or TEXT in fake


def _rejected_index(tracker: DialogueStateTracker, domain: Domain) -> Optional[int]:
    """The action the ensemble zeroes (the last action event, if a rejection), as it does."""
    last = next(
        (e for e in reversed(tracker.events) if isinstance(e, ActionExecutionRejected | ActionExecuted)),
        None,
    )
    if len(tracker.events) > 0 and isinstance(last, ActionExecutionRejected) and last.action_name:
        return domain.index_for_action(last.action_name)
    return None


def ted_could_win(
    deferred: DeferredPrediction,
    others: List[PolicyPrediction],
    tracker: DialogueStateTracker,
    domain: Domain,
) -> bool:
    """Whether ``DefaultPolicyPredictionEnsemble`` could pick TED's prediction, whatever it is.

    TED's prediction is never "no user", is end-to-end only if :func:`may_predict_end_to_end`,
    and its confidences are at most 1.0 (softmax). It cannot win when another prediction is
    "no user", or when one that takes part in the choice has confidence 1.0 (after the
    ensemble zeroes a rejected action) and a higher priority.
    """
    if deferred.end_to_end_possible:
        return not any(p.is_no_user_prediction for p in others)
    if any(p.is_no_user_prediction for p in others):
        return False
    if any(p.is_end_to_end_prediction for p in others):
        return False  # end-to-end predictions overrule TED's (not end-to-end) one
    rejected = _rejected_index(tracker, domain)
    for p in others:
        probabilities = list(p.probabilities)
        if rejected is not None and rejected < len(probabilities):
            probabilities[rejected] = 0.0
        if probabilities and max(probabilities) >= 1.0 and p.policy_priority > deferred.policy_priority:
            return False
    return True


def _combine(original: Callable[..., PolicyPrediction]) -> Callable[..., PolicyPrediction]:
    @functools.wraps(original)
    def combine_predictions_from_kwargs(
        self: DefaultPolicyPredictionEnsemble, tracker: DialogueStateTracker, domain: Domain, **kwargs: Any
    ) -> PolicyPrediction:
        deferred = {k: v for k, v in kwargs.items() if isinstance(v, DeferredPrediction)}
        if not deferred:
            return original(self, tracker, domain, **kwargs)
        others = [v for k, v in kwargs.items() if k not in deferred and isinstance(v, PolicyPrediction)]
        chosen: Dict[str, Any] = {}
        for key, value in kwargs.items():
            if key not in deferred:
                chosen[key] = value
            elif ted_could_win(value, others, tracker, domain):
                COUNTS["run"] += 1
                chosen[key] = value.resolve()
            else:
                COUNTS["skipped"] += 1
        result = original(self, tracker, domain, **chosen)
        if VERIFY["on"]:
            full = {k: (v.resolve() if isinstance(v, DeferredPrediction) else v) for k, v in kwargs.items()}
            expected = original(self, tracker, domain, **full)
            if expected != result or expected.events != result.events:
                raise AssertionError(f"policy shortcut chose {result} where Rasa chose {expected}")
        return result

    setattr(combine_predictions_from_kwargs, _MARK, True)
    return combine_predictions_from_kwargs


def _ted_predict(original: Callable[..., PolicyPrediction]) -> Callable[..., PolicyPrediction]:
    @functools.wraps(original)
    def predict_action_probabilities(self: TEDPolicy, *args: Any, **kwargs: Any) -> PolicyPrediction:
        if not _DEFERRING.get():
            return original(self, *args, **kwargs)
        return DeferredPrediction(self, lambda: original(self, *args, **kwargs))

    setattr(predict_action_probabilities, _MARK, True)
    return predict_action_probabilities


def _processor_predict(original: Callable[..., PolicyPrediction]) -> Callable[..., PolicyPrediction]:
    @functools.wraps(original)
    def _predict_next_with_tracker(self: MessageProcessor, tracker: DialogueStateTracker) -> PolicyPrediction:
        token = _DEFERRING.set(True)
        try:
            return original(self, tracker)
        finally:
            _DEFERRING.reset(token)

    setattr(_predict_next_with_tracker, _MARK, True)
    return _predict_next_with_tracker


def install() -> None:
    """Patch TED, the ensemble and the processor (idempotent); before the model is loaded."""
    targets = [
        (TEDPolicy, "predict_action_probabilities", _ted_predict),
        (DefaultPolicyPredictionEnsemble, "combine_predictions_from_kwargs", _combine),
        (MessageProcessor, "_predict_next_with_tracker", _processor_predict),
    ]
    for owner, name, wrap in targets:
        current = getattr(owner, name)
        if not getattr(current, _MARK, False):
            setattr(owner, name, wrap(current))
