"""Dense sentence features from all-MiniLM-L6-v2 for the linear intent classifier, the FAQ selector and TED.

One 384-d unit vector per message (mean-pooled MiniLM, the same encoder the catalog index
uses), added as a *sentence*-level feature next to the sparse count-vector features. It runs
the cached ``tf.function`` of :mod:`text_encoder` (length buckets), so a parse costs
one ~15 ms forward pass, where Rasa's ``LanguageModelFeaturizer`` runs the model eagerly and
also aligns word pieces to tokens (figures in README, "NLU").
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from text_encoder import Encoder, get_encoder

#: A component's configuration as Rasa passes it (defaults merged with config.yml).
Cfg = Dict[str, Any]

WARM_UP = ("hello", " ".join(["where is my order"] * 6))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class MiniLMSentenceFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a MiniLM sentence embedding to every message's text (and responses)."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """``batch_size`` for featurizing training data; the rest is DenseFeaturizer's."""
        return {**DenseFeaturizer.get_default_config(), "batch_size": 64}

    @staticmethod
    def required_packages() -> List[str]:
        """Python packages the component needs."""
        return ["transformers", "tensorflow"]

    @classmethod
    def validate_config(cls, config: Dict[str, Any]) -> None:
        """``batch_size`` must be a positive integer."""
        if not isinstance(config.get("batch_size"), int) or config["batch_size"] < 1:
            raise ValueError(f"{cls.__name__}: batch_size must be a positive integer")

    @classmethod
    def create(
        cls, config: Cfg, model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext
    ) -> MiniLMSentenceFeaturizer:
        """Builds the component; the encoder is loaded once per process."""
        cls.validate_config(config)
        return cls(config, execution_context.node_name)

    def __init__(self, config: Dict[str, Any], name: str, encoder: Optional[Encoder] = None) -> None:
        super().__init__(name, config)
        if encoder is None:
            encoder = get_encoder()
            # Trace the graph for the two shortest length buckets now, at startup, so the
            # first shopper's message does not wait seconds for it.
            for text in WARM_UP:
                encoder.encode([text])
        self._encoder = encoder

    def _featurize(self, messages: List[Message], attribute: str) -> None:
        with_text = [m for m in messages if m.get(attribute)]
        if not with_text:
            return
        vectors = self._encoder.encode(
            [str(m.get(attribute)) for m in with_text], batch_size=self._config["batch_size"]
        )
        for message, vector in zip(with_text, vectors, strict=False):
            self.add_features_to_message(
                sequence=None,
                sentence=np.expand_dims(vector, 0),
                attribute=attribute,
                message=message,
            )

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurizes texts, responses and action texts of the training data in batches."""
        for attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
            self._featurize(training_data.training_examples, attribute)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Featurizes incoming messages (their text only)."""
        for attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
            self._featurize(messages, attribute)
        return messages
