"""ops.model_load: TED loaded with its weight-building step eager predicts exactly as Rasa's load.

The real model's TEDPolicy is loaded twice, once through Rasa's own ``RasaModel.load`` and
once through the patched one, and both predict the next action for every prefix of every
test story (the trackers ``rasa test core`` replays): the probabilities must be the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, List

import numpy as np
import pytest
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.core.training import load_data
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.tensorflow.models import RasaModel

from harness.paths import ROOT, require_model
from ops import model_load


def rasa_own_load() -> Any:
    """Rasa's ``RasaModel.load`` function, whether or not the patch is installed."""
    current = RasaModel.__dict__["load"].__func__
    return getattr(current, "__wrapped__", current)


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    storage, metadata = LocalModelStorage.from_model_archive(
        tmp_path_factory.mktemp("model"), Path(require_model())
    )
    yield storage, metadata


def load_ted(unpacked: Any, load: Any) -> TEDPolicy:
    storage, metadata = unpacked
    name, node = next((n, v) for n, v in metadata.predict_schema.nodes.items() if v.uses is TEDPolicy)
    saved = RasaModel.__dict__["load"]
    RasaModel.load = classmethod(load)  # type: ignore[method-assign,assignment]
    try:
        context = ExecutionContext(metadata.predict_schema, metadata.model_id, node_name=name)
        config = {**TEDPolicy.get_default_config(), **node.config}  # as Rasa's graph node merges it
        return TEDPolicy.load(config, storage, node.resource, context)
    finally:
        RasaModel.load = saved  # type: ignore[method-assign]


def story_prefixes(domain: Domain) -> List[DialogueStateTracker]:
    """Every test story cut before each action it takes: where TED is asked to predict."""
    prefixes = []
    for story in load_data(str(ROOT / "tests" / "stories"), domain, augmentation_factor=0):
        events = list(story.events)
        for i, event in enumerate(events):
            if isinstance(event, ActionExecuted) and i > 0:
                prefixes.append(DialogueStateTracker.from_events(story.sender_id, events[:i], domain.slots))
    return prefixes


def test_ted_loaded_eagerly_predicts_what_rasas_load_predicts(unpacked: Any) -> None:
    domain = Domain.load(str(ROOT / "domain.yml"))
    rasa_ted = load_ted(unpacked, rasa_own_load())
    ours = load_ted(unpacked, model_load._eager_build(rasa_own_load()))
    assert ours.model is not None and not ours.model.run_eagerly  # predictions in graph mode
    prefixes = story_prefixes(domain)
    assert len(prefixes) > 200  # the 46 test stories, every action
    for tracker in prefixes:
        expected = rasa_ted.predict_action_probabilities(tracker, domain).probabilities
        got = ours.predict_action_probabilities(tracker, domain).probabilities
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


def test_every_rasa_server_of_the_assistant_installs_it() -> None:
    import ops.resilience  # noqa: F401  (the REST channel module every Rasa server loads)

    assert model_load.installed()
    model_load.install()  # idempotent: one wrapper around Rasa's own function, not two
    wrapped = RasaModel.__dict__["load"].__func__.__wrapped__
    assert wrapped.__module__ == "rasa.utils.tensorflow.models" and not hasattr(wrapped, "__wrapped__")
