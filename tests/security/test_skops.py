"""The intent classifier's saved file is loaded with an exact list of trusted types.

A ``.skops`` file is a zip whose ``schema.json`` names the type of every object to rebuild.
An attacker who can replace the model file (a shared volume, a downloaded model) edits that
list to name ``builtins.exec`` or any other callable; the loader must refuse the file instead
of trusting whole namespaces (``builtins.*``, ``sklearn.*``) as it used to.
"""

from __future__ import annotations

import json
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.linear_model import LogisticRegression

from harness.paths import MODEL
from nlu_components.intent_classifier import (
    MODEL_FILE,
    TRUSTED_TYPES,
    LinearIntentClassifier,
    UntrustedModelFile,
    load_parts,
)

ROOT = Path(__file__).resolve().parents[2]
REAL_MODEL = MODEL  # models/current.tar.gz unless SHOP_TEST_MODEL names another
EXAMPLES = {
    "order_status": ["where is my order", "track my parcel", "has my package shipped"],
    "greet": ["hello", "hi there", "good morning"],
}


def _message(text: str, intent: str | None = None, dense: bool = False) -> Message:
    message = Message(data={TEXT: text, **({INTENT: intent} if intent else {})})
    if dense:
        vector = np.ones((1, 8), dtype=np.float32)
        message.add_features(Features(vector, FEATURE_TYPE_SENTENCE, TEXT, "test"))
    return message


def _context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), node_name="intents")


def _train(folder: Path, dense: bool = False) -> tuple[LocalModelStorage, Path]:
    """A small classifier trained and saved the way ``rasa train`` does; its .skops file."""
    storage = LocalModelStorage(folder)
    clf = LinearIntentClassifier.create(
        LinearIntentClassifier.get_default_config(), storage, Resource("intents"), _context()
    )
    clf.train(TrainingData([_message(t, i, dense) for i, texts in EXAMPLES.items() for t in texts]))
    return storage, next(folder.rglob(MODEL_FILE))


def _load(storage: LocalModelStorage) -> LinearIntentClassifier:
    return LinearIntentClassifier.load(
        LinearIntentClassifier.get_default_config(), storage, Resource("intents"), _context()
    )


def _inject(path: Path, module: str, name: str) -> None:
    """Rewrite the file's schema.json so the saved dict also holds ``module.name``."""
    with zipfile.ZipFile(path) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    schema = json.loads(members["schema.json"])
    schema["content"]["hook"] = {
        "__class__": name,
        "__module__": module,
        "__loader__": "TypeNode",
        "__id__": 7,
    }
    schema["key_types"]["content"].append(
        {"__class__": "str", "__module__": "builtins", "__loader__": "TypeNode", "__id__": 8}
    )
    members["schema.json"] = json.dumps(schema).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for filename, data in members.items():
            zf.writestr(filename, data)


@pytest.mark.parametrize("dense", [False, True], ids=["tfidf-only", "with-dense-vector"])
def test_trusted_list_is_exactly_what_a_fresh_model_saves(tmp_path: Path, dense: bool) -> None:
    _, path = _train(tmp_path, dense)
    assert sio.get_untrusted_types(file=path) == sorted(TRUSTED_TYPES)
    assert not any(t.endswith("*") or t.endswith(".") for t in TRUSTED_TYPES)


@pytest.mark.parametrize(
    ("module", "name"),
    [("builtins", "exec"), ("builtins", "eval"), ("os", "system"), ("sklearn.utils", "_safe_indexing")],
)
def test_skops_file_naming_a_type_outside_the_list_is_refused(tmp_path: Path, module: str, name: str) -> None:
    storage, path = _train(tmp_path)
    _inject(path, module, name)
    assert f"{module}.{name}" in sio.get_untrusted_types(file=path)
    with pytest.raises(UntrustedModelFile, match=rf"{module}\.{name}"):
        _load(storage)
    with pytest.raises(UntrustedModelFile, match=rf"{module}\.{name}"):
        load_parts(path)


def test_genuine_model_still_loads_and_predicts(tmp_path: Path) -> None:
    storage, _ = _train(tmp_path)
    message = _message("where is my parcel")
    _load(storage).process([message])
    assert message.get(INTENT)["name"] == "order_status"


def test_the_trained_assistants_classifier_loads_with_the_exact_list(tmp_path: Path) -> None:
    # make test trains the model first: a missing one is a failure, not a skip.
    assert REAL_MODEL.exists(), "models/current.tar.gz is missing: run `make model`"
    with tarfile.open(REAL_MODEL) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("/" + MODEL_FILE))
        tar.extract(member, tmp_path)  # noqa: S202 - our own model archive, one named member
    path = tmp_path / member.name
    assert set(sio.get_untrusted_types(file=path)) <= set(TRUSTED_TYPES)
    parts = load_parts(path)
    assert isinstance(parts["model"], LogisticRegression)
    assert "order_status" in set(parts["model"].classes_)


FAQ_EXAMPLES = {"shipping": ["how long is shipping", "delivery time"], "pay": ["paypal?", "cards"]}


def _faq_selector(folder: Path) -> tuple[LocalModelStorage, Path]:
    """A small FaqSelector trained and saved the way ``rasa train`` does; its .skops file."""
    from nlu_components.faq_selector import FaqSelector

    storage = LocalModelStorage(folder)
    examples = [
        Message(data={TEXT: text, INTENT: "faq", "intent_response_key": f"faq/{key}"})
        for key, texts in FAQ_EXAMPLES.items()
        for text in texts
    ]
    config = FaqSelector.get_default_config()
    FaqSelector.create(config, storage, Resource("faq"), _context()).train(TrainingData(examples))
    return storage, next(folder.rglob("faq_selector.skops"))


def test_faq_selector_saves_only_trusted_types_and_refuses_a_file_naming_another(tmp_path: Path) -> None:
    from nlu_components.faq_selector import FaqSelector

    storage, path = _faq_selector(tmp_path)
    assert sio.get_untrusted_types(file=path) == sorted(TRUSTED_TYPES)
    _inject(path, "builtins", "exec")
    with pytest.raises(UntrustedModelFile, match=r"builtins\.exec"):
        FaqSelector.load(FaqSelector.get_default_config(), storage, Resource("faq"), _context())
