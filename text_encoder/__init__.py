"""The sentence encoder the catalog index and the NLU pipeline share: all-MiniLM-L6-v2.

One package, so ``catalog_index`` (product vectors for FAISS) and ``nlu_components`` (the
sentence feature of every message) encode with the same model and neither imports the other.
``get_encoder()`` loads the TensorFlow model once per process; importing this package does
not load TensorFlow. Details in :mod:`text_encoder.minilm`.
"""

from text_encoder.minilm import (
    BUCKETS,
    DIM,
    MODEL_NAME,
    Encoder,
    bucket_for,
    get_encoder,
    model_dir,
    one_thread_numerics,
)

__all__ = [
    "BUCKETS",
    "DIM",
    "MODEL_NAME",
    "Encoder",
    "bucket_for",
    "get_encoder",
    "model_dir",
    "one_thread_numerics",
]
