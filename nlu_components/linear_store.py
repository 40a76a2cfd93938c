"""The linear NLU components' saved files: JSON and plain numeric arrays, nothing executable.

A trained ``LinearIntentClassifier`` or ``FaqSelector`` is a few tf-idf vectorizers, one
logistic regression and some plain settings. They used to be saved with skops, which rebuilds
objects from type names (so it needs a list of trusted types, and refuses anything else);
importing skops costs 9.5 s (it imports all of scikit-learn to list the public types) and
loading the file 4 s more, in every Rasa process at every start. Here the same parts are
written as what they are made of:

* ``<stem>.json``: each part's kind (``tfidf``, ``logistic`` or ``value``), the settings of
  its estimator (plain strings and numbers, from a fixed list per kind), a vectorizer's
  vocabulary in column order and a model's class labels;
* ``<stem>.npz``: the idf weights, coefficients and intercepts, read with
  ``allow_pickle=False`` (a file holding a Python object is refused, not run).

Loading builds the estimators from these and nothing else: a file naming an unknown kind or
setting, or with arrays that do not fit its vocabulary, raises :class:`ModelFileRefused`
and nothing is loaded. Predictions are those of the saved estimators
(``tests/nlu/test_linear_store.py``); ``tests/security/test_model_files.py`` tries to smuggle
code in.
"""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

FORMAT = 1

#: The settings saved per kind: plain values only (no callables: a vectorizer with its own
#: ``tokenizer`` or ``preprocessor`` cannot be saved, and none is loaded).
TFIDF_SETTINGS = (
    "analyzer", "binary", "lowercase", "max_df", "max_features", "min_df", "ngram_range", "norm",
    "smooth_idf", "strip_accents", "sublinear_tf", "token_pattern", "use_idf",
)  # fmt: skip
LOGISTIC_SETTINGS = (
    "C", "class_weight", "dual", "fit_intercept", "intercept_scaling", "l1_ratio", "max_iter",
    "multi_class", "penalty", "random_state", "solver", "tol",
)  # fmt: skip
DTYPES = {"float32": np.float32, "float64": np.float64}
PLAIN = (str, int, float, bool, type(None))


class ModelFileRefused(ValueError):
    """A saved linear component holds something this module does not build; nothing was loaded."""


def _plain(value: Any) -> bool:
    if isinstance(value, PLAIN):
        return not isinstance(value, float) or math.isfinite(value)
    if isinstance(value, list | tuple):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False


def _settings(estimator: Any, names: tuple[str, ...]) -> Dict[str, Any]:
    params = estimator.get_params()
    out = {name: params[name] for name in names}
    out = {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}
    if not _plain(out):
        raise ValueError(f"{type(estimator).__name__} has a setting that is not a plain value: {out}")
    return out


def dump(parts: Dict[str, Any], folder: Path, stem: str) -> None:
    """Writes ``parts`` (name -> TfidfVectorizer, LogisticRegression or plain value) to
    ``folder/<stem>.json`` and ``folder/<stem>.npz``."""
    meta: Dict[str, Any] = {}
    arrays: Dict[str, np.ndarray] = {}
    for name, part in parts.items():
        if isinstance(part, TfidfVectorizer):
            vocabulary = sorted(part.vocabulary_, key=part.vocabulary_.__getitem__)
            dtype = np.dtype(part.dtype).name
            if dtype not in DTYPES or part.tokenizer or part.preprocessor or part.stop_words:
                raise ValueError(f"vectorizer {name!r} has settings this store does not keep")
            settings = {**_settings(part, TFIDF_SETTINGS), "dtype": dtype}
            meta[name] = {"kind": "tfidf", "settings": settings, "vocabulary": vocabulary}
            arrays[f"{name}.idf"] = np.asarray(part.idf_, dtype=np.float64)
        elif isinstance(part, LogisticRegression):
            classes = [str(c) for c in part.classes_]
            settings = _settings(part, LOGISTIC_SETTINGS)
            meta[name] = {"kind": "logistic", "settings": settings, "classes": classes}
            arrays[f"{name}.coef"] = np.asarray(part.coef_, dtype=np.float64)
            arrays[f"{name}.intercept"] = np.asarray(part.intercept_, dtype=np.float64)
        elif _plain(part):
            meta[name] = {"kind": "value", "value": part}
        else:
            raise ValueError(f"part {name!r} is a {type(part).__name__}: not a part this store keeps")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.json").write_text(json.dumps({"format": FORMAT, "parts": meta}, ensure_ascii=False))
    np.savez(folder / f"{stem}.npz", **arrays)


def _refuse(why: str) -> ModelFileRefused:
    return ModelFileRefused(f"refusing to load the saved linear component: {why}")


def _checked_settings(entry: Dict[str, Any], allowed: tuple[str, ...]) -> Dict[str, Any]:
    settings = entry.get("settings")
    if not isinstance(settings, dict) or not _plain(settings):
        raise _refuse("settings are not plain values")
    unknown = sorted(set(settings) - set(allowed))
    if unknown:
        raise _refuse(f"unknown settings {unknown}")
    return {k: tuple(v) if isinstance(v, list) else v for k, v in settings.items()}


def _array(arrays: Any, key: str, ndim: int) -> np.ndarray:
    if key not in arrays.files:
        raise _refuse(f"array {key!r} is missing")
    value = arrays[key]  # allow_pickle=False: an object array raises ValueError here
    if value.dtype.kind != "f" or value.ndim != ndim or not np.isfinite(value).all():
        raise _refuse(f"array {key!r} is not a finite {ndim}-d float array")
    return value


def _tfidf(name: str, entry: Dict[str, Any], arrays: Any) -> TfidfVectorizer:
    settings = _checked_settings(entry, (*TFIDF_SETTINGS, "dtype"))
    dtype = DTYPES.get(str(settings.pop("dtype", "float64")))
    vocabulary = entry.get("vocabulary")
    if dtype is None or not isinstance(vocabulary, list) or not all(isinstance(t, str) for t in vocabulary):
        raise _refuse(f"vectorizer {name!r} has no plain vocabulary or dtype")
    if len(set(vocabulary)) != len(vocabulary):
        raise _refuse(f"vectorizer {name!r} repeats a term")
    vectorizer = TfidfVectorizer(**settings, dtype=dtype, vocabulary={t: i for i, t in enumerate(vocabulary)})
    idf = _array(arrays, f"{name}.idf", 1)
    if idf.shape[0] != len(vocabulary):
        raise _refuse(f"vectorizer {name!r}: {idf.shape[0]} idf weights for {len(vocabulary)} terms")
    vectorizer._validate_vocabulary()  # sets vocabulary_ as fit would
    vectorizer.idf_ = idf
    return vectorizer


def _logistic(name: str, entry: Dict[str, Any], arrays: Any) -> LogisticRegression:
    settings = _checked_settings(entry, LOGISTIC_SETTINGS)
    classes = entry.get("classes")
    if not isinstance(classes, list) or not classes or not all(isinstance(c, str) for c in classes):
        raise _refuse(f"model {name!r} has no plain class labels")
    model = LogisticRegression(**settings)
    coef, intercept = _array(arrays, f"{name}.coef", 2), _array(arrays, f"{name}.intercept", 1)
    rows = 1 if len(classes) == 2 and coef.shape[0] == 1 else len(classes)
    if coef.shape[0] != rows or intercept.shape[0] != rows:
        raise _refuse(f"model {name!r}: coefficients do not fit its {len(classes)} classes")
    model.classes_ = np.asarray(classes)
    model.coef_, model.intercept_ = coef, intercept
    model.n_features_in_ = coef.shape[1]
    return model


def load(folder: Path, stem: str) -> Dict[str, Any]:
    """The parts saved by :func:`dump`; :class:`ModelFileRefused` if the files hold anything else."""
    try:
        document = json.loads((folder / f"{stem}.json").read_text())
        arrays = np.load(folder / f"{stem}.npz", allow_pickle=False)
    except (OSError, json.JSONDecodeError, zipfile.BadZipFile) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise _refuse(f"unreadable file ({exc})") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise _refuse("not a saved linear component of this format")
    entries = document.get("parts")
    if not isinstance(entries, dict):
        raise _refuse("no parts")
    parts: Dict[str, Any] = {}
    try:
        with arrays:
            for name, entry in entries.items():
                kind = entry.get("kind") if isinstance(entry, dict) else None
                if kind == "tfidf":
                    parts[name] = _tfidf(name, entry, arrays)
                elif kind == "logistic":
                    parts[name] = _logistic(name, entry, arrays)
                elif kind == "value" and _plain(entry.get("value")):
                    parts[name] = entry["value"]
                else:
                    raise _refuse(f"part {name!r} of unknown kind {kind!r}")
    except ModelFileRefused:
        raise
    except (ValueError, TypeError) as exc:  # e.g. an object array (allow_pickle=False), a bad setting
        raise _refuse(str(exc)) from exc
    return parts


def files(stem: str) -> List[str]:
    """The file names :func:`dump` writes for ``stem``."""
    return [f"{stem}.json", f"{stem}.npz"]
