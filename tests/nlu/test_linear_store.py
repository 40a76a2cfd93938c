"""nlu_components.linear_store: saved linear parts predict as before, and nothing else loads.

The store writes JSON and plain float arrays; a file that holds a pickled object, names an
unknown kind or setting, or carries arrays that do not fit its vocabulary is refused with
``ModelFileRefused`` instead of being half loaded.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any, Dict

import numpy as np
import pytest
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from nlu_components import linear_store
from nlu_components.linear_store import ModelFileRefused

TEXTS = ["where is my order", "track my parcel", "hello there", "good morning",
         "我的订单到哪了", "你好", "cancel my order please", "取消订单"]  # fmt: skip
LABELS = ["order_status", "order_status", "greet", "greet", "order_status", "greet", "cancel", "cancel"]
PROBES = ["where's my parcel", "你好啊", "please cancel it", "订单号104523到哪了"]


def trained() -> Dict[str, Any]:
    word = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True,
                           token_pattern=r"(?u)\b\w\w+\b|[\u4e00-\u9fff]").fit(TEXTS)  # fmt: skip
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True).fit(TEXTS)
    model = LogisticRegression(C=100, class_weight="balanced", max_iter=2000, random_state=42)
    model.fit(hstack([word.transform(TEXTS), char.transform(TEXTS)]).tocsr(), LABELS)
    return {"word": word, "char": char, "model": model, "segmented": True, "dense_dim": 384}


def probabilities(parts: Dict[str, Any]) -> np.ndarray:
    matrix = hstack([parts["word"].transform(PROBES), parts["char"].transform(PROBES)]).tocsr()
    return parts["model"].predict_proba(matrix)


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    linear_store.dump(trained(), tmp_path, "clf")
    return tmp_path


def test_loaded_parts_give_the_same_features_and_probabilities(saved: Path) -> None:
    original = trained()
    loaded = linear_store.load(saved, "clf")
    for name in ("word", "char"):
        assert (loaded[name].transform(PROBES) != original[name].transform(PROBES)).nnz == 0
    assert list(loaded["model"].classes_) == list(original["model"].classes_)
    np.testing.assert_array_equal(probabilities(loaded), probabilities(original))
    assert loaded["segmented"] is True and loaded["dense_dim"] == 384
    assert sorted(p.name for p in saved.iterdir()) == linear_store.files("clf")


def _edit(folder: Path, change: Any) -> None:
    path = folder / "clf.json"
    document = json.loads(path.read_text())
    change(document["parts"])
    path.write_text(json.dumps(document))


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p["model"].update(kind="pickle"),  # a kind the store does not build
        lambda p: p["word"]["settings"].update(tokenizer="os.system"),  # a callable by name
        lambda p: p["model"]["settings"].update(verbose=1),  # a setting outside the list
        lambda p: p["char"].update(vocabulary=p["char"]["vocabulary"][:-1]),  # arrays do not fit
        lambda p: p["char"].update(vocabulary=[*p["char"]["vocabulary"][:-1], "a"]),  # a repeated term
        lambda p: p["model"].update(classes=p["model"]["classes"][:-1]),  # coefficients do not fit
        lambda p: p.update(extra={"kind": "value", "value": {"a": float("nan")}}),  # not JSON's plain
    ],
)
def test_a_file_edited_to_hold_something_else_is_refused(saved: Path, change: Any) -> None:
    _edit(saved, change)
    with pytest.raises(ModelFileRefused):
        linear_store.load(saved, "clf")


def test_a_pickled_object_in_the_arrays_is_refused_not_run(saved: Path) -> None:
    arrays = dict(np.load(saved / "clf.npz"))
    arrays["model.coef"] = np.array([pickle.dumps(print)], dtype=object)
    np.savez(saved / "clf.npz", **arrays)
    with pytest.raises(ModelFileRefused):
        linear_store.load(saved, "clf")


def test_a_vectorizer_with_its_own_code_cannot_be_saved(tmp_path: Path) -> None:
    parts = trained()
    parts["word"].set_params(tokenizer=str.split)
    with pytest.raises(ValueError):
        linear_store.dump(parts, tmp_path, "clf")
    with pytest.raises(ValueError):
        linear_store.dump({"x": object()}, tmp_path, "clf")


def test_a_missing_file_is_not_mistaken_for_a_refused_one(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        linear_store.load(tmp_path, "clf")
