"""Intent classifier: logistic regression over tf-idf n-grams and the MiniLM sentence vector.

DIET (kept for entities) classified intents at 0.85-0.87 cross-validated macro F1 on this
data, with or without dense features; a linear model over the same signals - word 1-2 and
character 1-4 tf-idf of the text plus the dense sentence vector that a featurizer put on the
message (``MiniLMSentenceFeaturizer``) - generalises better from a few thousand short
examples. Figures in README, "NLU". Probabilities are the model's own (softmax over intents),
so ``FallbackClassifier``'s threshold is set for them in config.yml.

Chinese has no spaces, so the word n-grams read a text with Han characters through
:func:`word_text`: each Han run is replaced by its jieba words (the segmenter of
``BilingualTokenizer``) separated by spaces, and the token pattern also keeps one-character
Han words (吗, 退, 的), which the default two-letter pattern drops. A text without Han characters is
passed unchanged and the pattern matches exactly what the default matches, so English
features are those of the English-only classifier. Character n-grams read the raw text.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from nlu_components import linear_store
from nlu_components.bilingual_tokenizer import HAN, HAN_RUN, segmenter
from nlu_components.linear_store import ModelFileRefused

#: A component's configuration as Rasa passes it (defaults merged with config.yml).
Cfg = Dict[str, Any]

logger = logging.getLogger(__name__)

#: The saved classifier: ``<stem>.json`` + ``<stem>.npz`` (:mod:`nlu_components.linear_store`).
MODEL_STEM = "linear_intent_classifier"


def load_parts(folder: Path, stem: str) -> Dict[str, Any]:
    """The vectorizers and model saved in ``folder`` under ``stem``; :class:`ModelFileRefused`
    if the files hold anything :mod:`~nlu_components.linear_store` does not build, or no
    model. ``FaqSelector`` loads its files through here too, so both refuse the same way."""
    parts = linear_store.load(folder, stem)
    if "model" not in parts:
        raise ModelFileRefused(f"refusing to load {stem}: not a saved linear model")
    return parts


#: sklearn's default word pattern plus single Han characters (one-character Chinese words).
WORD_PATTERN = r"(?u)\b\w\w+\b|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"


def word_text(text: str) -> str:
    """``text`` with each Han run spelt as its jieba words between spaces; else unchanged.

    ``订单号104523到哪了`` -> ``订单号 104523 到 哪 了`` (jieba's words), so the word
    n-grams of Chinese are words, not whole clauses.
    """
    if not HAN.search(text):
        return text
    return HAN_RUN.sub(
        lambda run: " " + " ".join(w for w in segmenter().cut(run.group()) if w.strip()) + " ", text
    )


def _dense(message: Message) -> Optional[np.ndarray]:
    sentence = message.get_dense_features(TEXT)[1]
    return None if sentence is None else np.asarray(sentence.features, dtype=np.float32).reshape(-1)


def fit_vectorizers(messages: List[Message]) -> Dict[str, Any]:
    """Word 1-2 (jieba words for Han) and char_wb 1-4 tf-idf fitted on the messages' texts,
    and the size of their dense sentence vector (0 if none): the parts :func:`feature_matrix`
    needs. Shared with ``FaqSelector`` so FAQ and intents read a message the same way."""
    texts = [str(m.get(TEXT) or "") for m in messages]
    first = _dense(messages[0])  # the featurizer gives every message the same size
    return {
        "word": TfidfVectorizer(
            analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=WORD_PATTERN
        ).fit([word_text(t) for t in texts]),
        "segmented": True,
        "char": TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True).fit(texts),
        "dense_dim": 0 if first is None else first.shape[0],
    }


def feature_matrix(
    parts: Dict[str, Any],
    messages: List[Message],
    dense_weight: float,
    han_dense_weight: Optional[float] = None,
) -> csr_matrix:
    """One row per message: word and char tf-idf, then the dense vector times ``dense_weight``
    (zeros where a message has none or one of another size); times ``han_dense_weight``
    instead, if given, for a text with a Han character (MiniLM was trained on English)."""
    texts = [str(m.get(TEXT) or "") for m in messages]
    words = [word_text(t) for t in texts] if parts.get("segmented") else texts
    blocks = [parts["word"].transform(words), parts["char"].transform(texts)]
    dim = int(parts["dense_dim"])
    if dim:
        dense = np.zeros((len(messages), dim), dtype=np.float32)
        for row, message in enumerate(messages):
            vector = _dense(message)
            if vector is not None and vector.shape[0] == dim:
                han = han_dense_weight is not None and HAN.search(texts[row])
                dense[row] = vector * (han_dense_weight if han else dense_weight)
        blocks.append(csr_matrix(dense))
    return hstack(blocks).tocsr()


def save_parts(parts: Dict[str, Any], model_storage: ModelStorage, resource: Resource, stem: str) -> None:
    """Saves vectorizers and model as JSON + plain arrays (no pickle) into the component's resource."""
    with model_storage.write_to(resource) as folder:
        linear_store.dump(parts, Path(folder), stem)


def read_saved(
    model_storage: ModelStorage, resource: Resource, stem: str, owner: str, beside: Optional[str] = None
) -> tuple[Optional[Dict[str, Any]], Optional[Any]]:
    """The parts saved under ``stem`` in ``resource`` and the JSON file ``beside`` them, if named.

    ``(None, None)`` when nothing was saved (the component was never trained: logged for
    ``owner``); :class:`ModelFileRefused` propagates, so a tampered file fails the whole load.
    """
    try:
        with model_storage.read_from(resource) as folder:
            if not (Path(folder) / f"{stem}.json").is_file():
                raise FileNotFoundError(Path(folder) / f"{stem}.json")
            parts = load_parts(Path(folder), stem)
            extra = json.loads((Path(folder) / beside).read_text(encoding="utf-8")) if beside else None
    except ModelFileRefused:
        raise
    except (ValueError, FileNotFoundError) as exc:  # no resource or no file: never trained
        logger.warning("%s: no trained model loaded (%s)", owner, exc)
        return None, None
    return parts, extra


class LinearComponent(GraphComponent):
    """What the linear components share: their settings over the defaults and their saved parts."""

    @staticmethod
    def required_packages() -> List[str]:
        """Python packages the component needs."""
        return ["sklearn"]

    @classmethod
    def create(
        cls, config: Cfg, model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext
    ) -> LinearComponent:
        """An untrained component."""
        return cls(config, model_storage, resource)

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        parts: Optional[Dict[str, Any]] = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._parts = parts


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(LinearComponent, IntentClassifier):
    """Predicts the intent and a ranking with probabilities."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """C: inverse regularisation; dense_weight scales the dense vector against tf-idf.

        ``newton-cg`` at ``tol`` 1e-3 rather than lbfgs at 1e-4: the same predictions on the
        CV folds (config.yml) in 15 Newton steps instead of 176 lbfgs ones, 20 s of CPU instead
        of 48 s on the full data (issue 13).
        """
        return {
            "C": 30.0,
            "dense_weight": 1.0,
            "solver": "newton-cg",
            "tol": 1e-3,
            "max_iter": 2000,
            "ranking_length": 10,
            "random_state": 42,
        }

    # -- features --------------------------------------------------------------------------

    def _matrix(self, messages: List[Message]) -> csr_matrix:
        assert self._parts is not None
        return feature_matrix(self._parts, messages, float(self.config["dense_weight"]))

    # -- training ----------------------------------------------------------------------------

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the vectorizers and the model on examples that have a text and an intent."""
        examples = [e for e in training_data.intent_examples if e.get(TEXT) and e.get(INTENT)]
        if len({e.get(INTENT) for e in examples}) < 2:
            logger.warning("LinearIntentClassifier needs at least two intents; not trained.")
            return self._resource
        self._parts = fit_vectorizers(examples)
        model = LogisticRegression(
            C=float(self.config["C"]),
            solver=str(self.config["solver"]),
            tol=float(self.config["tol"]),
            max_iter=int(self.config["max_iter"]),
            class_weight="balanced",
            random_state=int(self.config["random_state"]),
        )
        model.fit(self._matrix(examples), [str(e.get(INTENT)) for e in examples])
        self._parts["model"] = model
        self.persist()
        return self._resource

    def persist(self) -> None:
        """Saves vectorizers and model (:mod:`nlu_components.linear_store`, no pickle)."""
        save_parts(self._parts or {}, self._model_storage, self._resource, MODEL_STEM)

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        """Loads a trained classifier; an untrained one if there is nothing saved.

        Saved files holding anything but the classifier's parts raise
        :class:`~nlu_components.linear_store.ModelFileRefused`: the model does not load at all,
        rather than run without its intent classifier.
        """
        parts, _ = read_saved(model_storage, resource, MODEL_STEM, "LinearIntentClassifier")
        return cls(config, model_storage, resource, parts)

    # -- prediction --------------------------------------------------------------------------

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets ``intent`` and ``intent_ranking`` on each message."""
        if self._parts is None or "model" not in self._parts or not messages:
            return messages
        model: LogisticRegression = self._parts["model"]
        probabilities = model.predict_proba(self._matrix(messages))
        for message, row in zip(messages, probabilities, strict=True):
            order = np.argsort(-row)
            ranking = [{"name": str(model.classes_[i]), "confidence": float(row[i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            limit = int(self.config["ranking_length"])
            message.set("intent_ranking", ranking[:limit] if limit > 0 else ranking, add_to_output=True)
        return messages
