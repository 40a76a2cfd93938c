"""The linear components' saved files are data: a model file edited to carry code does not load.

An attacker who can replace a model file (a shared volume, a downloaded model) could once edit a
``.skops`` schema to name ``builtins.exec``. The intent classifier and the FAQ selector now save
JSON and plain float arrays (:mod:`nlu_components.linear_store`); these tests train each the
way ``rasa train`` does, then edit the saved files to smuggle in a pickled callable, a kind
or a setting the store does not build, and check that the component refuses to load (the
whole model fails, rather than run without its classifier), while the genuine files load and
predict. The trained assistant's own files are checked too.
"""

from __future__ import annotations

import json
import pickle
import tarfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.linear_model import LogisticRegression

from harness.paths import require_model
from nlu_components import linear_store
from nlu_components.faq_selector import MODEL_STEM as FAQ_STEM
from nlu_components.faq_selector import FaqSelector
from nlu_components.intent_classifier import MODEL_STEM, LinearIntentClassifier, load_parts
from nlu_components.linear_store import ModelFileRefused

EXAMPLES = {
    "order_status": ["where is my order", "track my parcel", "has my package shipped"],
    "greet": ["hello", "hi there", "good morning"],
}
FAQ_EXAMPLES = {"shipping": ["how long is shipping", "delivery time"], "pay": ["paypal?", "cards"]}


def _message(text: str, intent: str | None = None, dense: bool = False) -> Message:
    message = Message(data={TEXT: text, **({INTENT: intent} if intent else {})})
    if dense:
        message.add_features(Features(np.ones((1, 8), dtype=np.float32), FEATURE_TYPE_SENTENCE, TEXT, "test"))
    return message


def _context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), node_name="component")


def _classifier(folder: Path, dense: bool = False) -> LocalModelStorage:
    storage = LocalModelStorage(folder)
    clf = LinearIntentClassifier.create(
        LinearIntentClassifier.get_default_config(), storage, Resource("intents"), _context()
    )
    clf.train(TrainingData([_message(t, i, dense) for i, texts in EXAMPLES.items() for t in texts]))
    return storage


def _load_classifier(storage: LocalModelStorage) -> LinearIntentClassifier:
    return LinearIntentClassifier.load(
        LinearIntentClassifier.get_default_config(), storage, Resource("intents"), _context()
    )


def _faq(folder: Path) -> LocalModelStorage:
    storage = LocalModelStorage(folder)
    examples = [
        Message(data={TEXT: text, INTENT: "faq", "intent_response_key": f"faq/{key}"})
        for key, texts in FAQ_EXAMPLES.items()
        for text in texts
    ]
    FaqSelector.create(FaqSelector.get_default_config(), storage, Resource("faq"), _context()).train(
        TrainingData(examples)
    )
    return storage


def _pickled_callable(folder: Path, stem: str) -> None:
    """Replace the model's coefficients with a pickled ``os.system`` (an object array)."""
    arrays = dict(np.load(folder / f"{stem}.npz"))
    arrays["model.coef"] = np.array([pickle.dumps(__import__("os").system)], dtype=object)
    np.savez(folder / f"{stem}.npz", **arrays)


def _edited_json(change: Callable[[dict[str, Any]], None]) -> Callable[[Path, str], None]:
    def edit(folder: Path, stem: str) -> None:
        path = folder / f"{stem}.json"
        document = json.loads(path.read_text())
        change(document["parts"])
        path.write_text(json.dumps(document))

    return edit


ATTACKS = {
    "pickled-callable": _pickled_callable,
    "unknown-kind": _edited_json(lambda p: p["model"].update(kind="callable", target="builtins.exec")),
    "tokenizer-by-name": _edited_json(lambda p: p["word"]["settings"].update(tokenizer="os.system")),
    "extra-setting": _edited_json(lambda p: p["model"]["settings"].update(verbose=1)),
}


@pytest.mark.parametrize("dense", [False, True], ids=["tfidf-only", "with-dense-vector"])
def test_a_fresh_classifier_saves_only_json_and_plain_arrays(tmp_path: Path, dense: bool) -> None:
    _classifier(tmp_path, dense)
    saved = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    assert saved == linear_store.files(MODEL_STEM)
    with np.load(next(tmp_path.rglob("*.npz")), allow_pickle=False) as arrays:
        assert all(arrays[k].dtype.kind == "f" for k in arrays.files)


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_a_classifier_file_edited_to_carry_code_fails_the_load(tmp_path: Path, attack: str) -> None:
    storage = _classifier(tmp_path)
    ATTACKS[attack](next(tmp_path.rglob("*.json")).parent, MODEL_STEM)
    with pytest.raises(ModelFileRefused):
        _load_classifier(storage)


def test_the_genuine_classifier_loads_and_predicts(tmp_path: Path) -> None:
    storage = _classifier(tmp_path)
    message = _message("where is my parcel")
    _load_classifier(storage).process([message])
    assert message.get(INTENT)["name"] == "order_status"


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_a_faq_selector_file_edited_to_carry_code_fails_the_load(tmp_path: Path, attack: str) -> None:
    storage = _faq(tmp_path)
    folder = next(tmp_path.rglob(f"{FAQ_STEM}.json")).parent
    FaqSelector.load(FaqSelector.get_default_config(), storage, Resource("faq"), _context())  # genuine: loads
    ATTACKS[attack](folder, FAQ_STEM)
    with pytest.raises(ModelFileRefused):
        FaqSelector.load(FaqSelector.get_default_config(), storage, Resource("faq"), _context())


def test_the_trained_assistants_linear_components_load_from_plain_files(tmp_path: Path) -> None:
    # make test trains the model first: a missing one is a failure, not a skip.
    with tarfile.open(require_model()) as tar:
        members = [m for m in tar.getmembers() if Path(m.name).name.endswith((".json", ".npz"))]
        tar.extractall(tmp_path, members=members)  # noqa: S202 - our own model archive, named members
    loaded = {
        stem: load_parts(next(tmp_path.rglob(f"{stem}.npz")).parent, stem) for stem in (MODEL_STEM, FAQ_STEM)
    }
    assert not list(tmp_path.rglob("*.skops"))
    assert all(isinstance(parts["model"], LogisticRegression) for parts in loaded.values())
    assert "order_status" in set(loaded[MODEL_STEM]["model"].classes_)
    assert any(label.startswith("faq/") for label in loaded[FAQ_STEM]["model"].classes_)
