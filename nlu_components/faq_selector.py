"""FAQ selector: logistic regression over the faq/* sub-intents, in place of ``ResponseSelector``.

Rasa's ``ResponseSelector`` is a DIET network: it cost 85 s of ``rasa train`` (60 epochs on two
shared cores) and a TensorFlow pass on every message, to choose among a handful of FAQ answers
from a few hundred examples. This component reads a message exactly as ``LinearIntentClassifier``
does (word 1-2 and char_wb 1-4 tf-idf plus the dense MiniLM sentence vector, the same helpers
imported from :mod:`nlu_components.intent_classifier`), trains a logistic regression on the
examples of one retrieval intent (``faq``, English and Chinese) in about a second, and writes
the same ``response_selector`` output as Rasa 3.6's ``ResponseSelector`` so that
``utter_faq`` (``ActionRetrieveResponse``) and ``rasa test nlu`` read it unchanged. Figures
(5-fold CV against the ResponseSelector) in config.yml and ``benchmarks/bench_faq_selector.py``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data import util
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.linear_model import LogisticRegression

from nlu_components.intent_classifier import (
    LinearComponent,
    feature_matrix,
    fit_vectorizers,
    read_saved,
    save_parts,
)

#: A component's configuration as Rasa passes it (defaults merged with config.yml).
Cfg = Dict[str, Any]

logger = logging.getLogger(__name__)

MODEL_STEM = "faq_selector"
#: Responses and retrieval intents, as plain JSON (like Rasa's ResponseSelector saves them).
META_FILE = "faq_responses.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FaqSelector(LinearComponent):
    """Picks the response of one retrieval intent's sub-intent, with a probability ranking."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """``retrieval_intent``: whose examples to learn; C and dense_weight as the intent model's.

        ``han_dense_weight`` scales the (English-trained) MiniLM vector of a Chinese text: at 0.5
        Chinese FAQ macro F1 0.934 instead of 0.922 at 1.0, English 0.973 instead of 0.977 (5-fold
        CV, seeds 1-3, C 30); ``None`` weighs every text by ``dense_weight``.
        """
        return {
            "retrieval_intent": "faq",
            "C": 30.0,
            "dense_weight": 1.0,
            "han_dense_weight": 0.5,
            "max_iter": 2000,
            "ranking_length": 10,
            "random_state": 42,
        }

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        parts: Optional[Dict[str, Any]] = None,
        meta: Optional[Dict[str, Any]] = None,
    ) -> None:
        super().__init__(config, model_storage, resource, parts)
        meta = meta or {}
        #: Every retrieval intent in the training data (the output lists them all, as Rasa's does).
        self.all_retrieval_intents: List[str] = list(meta.get("all_retrieval_intents", []))
        #: ``utter_faq/<key>`` -> its response variations (with their conditions), from the domain.
        self.responses: Dict[str, List[Dict[str, Any]]] = dict(meta.get("responses", {}))

    # -- training ----------------------------------------------------------------------------

    def train(self, training_data: TrainingData) -> Resource:
        """Fits vectorizers and model on the retrieval intent's examples that have a sub-intent."""
        intent = str(self.config["retrieval_intent"])
        self.all_retrieval_intents = sorted(training_data.retrieval_intents)
        self.responses = {
            key: list(variations)
            for key, variations in training_data.responses.items()
            if util.template_key_to_intent_response_key(key).split("/")[0] == intent
        }
        examples = [
            e
            for e in training_data.intent_examples
            if e.get(TEXT) and e.get(INTENT) == intent and e.get(INTENT_RESPONSE_KEY)
        ]
        if len({e.get(INTENT_RESPONSE_KEY) for e in examples}) < 2:
            logger.warning("FaqSelector needs two %s/* sub-intents with examples; not trained.", intent)
            return self._resource
        self._parts = fit_vectorizers(examples)
        model = LogisticRegression(
            C=float(self.config["C"]),
            max_iter=int(self.config["max_iter"]),
            class_weight="balanced",
            random_state=int(self.config["random_state"]),
        )
        model.fit(self._matrix(examples), [str(e.get(INTENT_RESPONSE_KEY)) for e in examples])
        self._parts["model"] = model
        self.persist()
        return self._resource

    def _matrix(self, messages: List[Message]) -> Any:
        assert self._parts is not None
        han = self.config["han_dense_weight"]
        return feature_matrix(
            self._parts, messages, float(self.config["dense_weight"]), None if han is None else float(han)
        )

    def persist(self) -> None:
        """Saves vectorizers and model (:mod:`nlu_components.linear_store`), responses as JSON."""
        save_parts(self._parts or {}, self._model_storage, self._resource, MODEL_STEM)
        with self._model_storage.write_to(self._resource) as folder:
            meta = {"all_retrieval_intents": self.all_retrieval_intents, "responses": self.responses}
            (Path(folder) / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> FaqSelector:
        """Loads a trained selector; an untrained one if there is nothing saved.

        Saved files holding anything but the selector's parts raise
        :class:`~nlu_components.linear_store.ModelFileRefused`, as ``LinearIntentClassifier``
        does: no model loads at all.
        """
        parts, meta = read_saved(model_storage, resource, MODEL_STEM, "FaqSelector", beside=META_FILE)
        return cls(config, model_storage, resource, parts, meta)

    # -- prediction --------------------------------------------------------------------------

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets ``response_selector`` on each message as Rasa's ResponseSelector does.

        ``response_selector[<retrieval intent>]`` holds ``response`` (the top sub-intent's
        ``intent_response_key``, ``utter_action``, ``responses`` and ``confidence``) and
        ``ranking`` (``confidence`` and ``intent_response_key`` of the top ``ranking_length``);
        ``all_retrieval_intents`` lists the data's retrieval intents. Every message gets it, as
        with Rasa's: ``utter_faq`` reads it only after the ``faq`` intent.
        """
        if self._parts is None or "model" not in self._parts or not messages:
            return messages
        model: LogisticRegression = self._parts["model"]
        probabilities = model.predict_proba(self._matrix(messages))
        limit = int(self.config["ranking_length"])
        for message, row in zip(messages, probabilities, strict=True):
            order = np.argsort(-row)
            if limit > 0:
                order = order[:limit]
            ranking = [
                {PREDICTED_CONFIDENCE_KEY: float(row[i]), INTENT_RESPONSE_KEY: str(model.classes_[i])}
                for i in order
            ]
            key = ranking[0][INTENT_RESPONSE_KEY]
            utter_action = util.intent_response_key_to_template_key(key)
            prediction = {
                RESPONSE_SELECTOR_PREDICTION_KEY: {
                    RESPONSE_SELECTOR_RESPONSES_KEY: self.responses.get(utter_action) or [{TEXT: key}],
                    PREDICTED_CONFIDENCE_KEY: ranking[0][PREDICTED_CONFIDENCE_KEY],
                    INTENT_RESPONSE_KEY: key,
                    RESPONSE_SELECTOR_UTTER_ACTION_KEY: utter_action,
                },
                RESPONSE_SELECTOR_RANKING_KEY: ranking,
            }
            properties = message.get(RESPONSE_SELECTOR_PROPERTY_NAME, {})
            properties[RESPONSE_SELECTOR_RETRIEVAL_INTENTS] = self.all_retrieval_intents
            properties[str(self.config["retrieval_intent"])] = prediction
            message.set(RESPONSE_SELECTOR_PROPERTY_NAME, properties, add_to_output=True)
        return messages
