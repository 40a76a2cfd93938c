"""Semantic index of the shop catalog: MiniLM embeddings in FAISS, plus a spaCy entity ruler.

``python -m catalog_index.build`` reads products (with their variants) from the order DB,
encodes one text per product (name, brand, category, colours, materials, description) with
all-MiniLM-L6-v2 on TensorFlow, and writes to ``var/catalog_index/``:

- ``index.faiss``  the FAISS index over L2-normalised vectors (inner product = cosine);
- ``ids.npy``      row -> product id;
- ``vectors.npy``  the float32 vectors, for "similar to X" by stored vector and exact
                   re-scoring of filtered candidate sets;
- ``fingerprint.json`` sha256 over the indexed fields of the sorted products + model name +
                   index type. Computing it needs two SELECTs and no encoding, so
                   ``make run`` can call the build every time and it returns at once when
                   nothing changed.

Index type, chosen by size (see :func:`catalog_index.index.choose_index_type`):

- below 20,000 vectors: ``IndexFlatIP``, exact. At the demo size (2,000 products) an exact
  scan takes well under a millisecond, so an approximate index would only cost recall.
- from 20,000 vectors: ``IndexHNSWFlat`` (inner product, M=32, efConstruction=80,
  efSearch=128). HNSW needs no training, adds products incrementally and keeps recall@10
  above 0.95 at 100k while searching in about a millisecond (see ``benchmarks/bench_faiss.py``
  for measured figures and the IVF alternative at 1M).

Filtered searches (price, size, colour, stock) pre-select eligible products in SQL, then
score that subset exactly with numpy when it is small, or ask FAISS with an ID selector when
it is large, so a strict filter never returns fewer results than exist.

``load_index`` refuses a missing index (:class:`MissingIndexError`) or one built from
another catalog (:class:`StaleIndexError`); both messages carry the command to run.
"""

from catalog_index.index import (
    CatalogIndex,
    CatalogIndexError,
    MissingIndexError,
    StaleIndexError,
    build_index,
    default_index_dir,
    load_index,
)

__all__ = [
    "CatalogIndex",
    "CatalogIndexError",
    "MissingIndexError",
    "StaleIndexError",
    "build_index",
    "default_index_dir",
    "load_index",
]
