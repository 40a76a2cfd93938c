"""The sentence encoder the catalog index and the NLU pipeline share: all-MiniLM-L6-v2.

One package, so ``catalog_index`` (product vectors for FAISS) and ``nlu_components`` (the
sentence feature of every message) encode with the same model and neither imports the other.
``get_encoder()`` loads the TensorFlow model once per process; importing this package does
not load TensorFlow. Details in :mod:`text_encoder.minilm`. How many threads TensorFlow,
BLAS and the sentence encoders use in each server process: ``shop.threads`` (a setting)
decides, :func:`limit_numeric_threads` applies it.
"""

from text_encoder.minilm import (
    BUCKETS,
    DIM,
    MODEL_NAME,
    TF_NATIVE_VARS,
    Encoder,
    bucket_for,
    get_encoder,
    limit_numeric_threads,
    model_dir,
)

__all__ = [
    "BUCKETS",
    "DIM",
    "MODEL_NAME",
    "TF_NATIVE_VARS",
    "Encoder",
    "bucket_for",
    "get_encoder",
    "limit_numeric_threads",
    "model_dir",
]
