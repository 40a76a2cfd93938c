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

The index is English only. A Chinese query is put in the catalog's English words before it
is encoded (:mod:`shop.catalog_zh`, by :func:`shop.catalog_query.parse_query`), so Chinese
search needs no second encoder and the index content (and fingerprint) did not change when
products got Chinese names (``products.name_zh`` is not embedded).

Modules: :mod:`catalog_index.index` (index types, the FAISS index and its search),
:mod:`catalog_index.storage` (build, save, load, staleness), :mod:`catalog_index.errors`,
:mod:`catalog_index.build` (the CLI) and :mod:`catalog_index.spacy_pipeline`. The encoder is
the shared :mod:`text_encoder`.

Index type, chosen by size (see :func:`catalog_index.index.choose_index_type`):

- below 20,000 vectors: ``IndexFlatIP``, exact. At the demo size (2,000 products) an exact
  scan takes well under a millisecond, so an approximate index would only cost recall.
- from 20,000 vectors: ``IndexHNSWFlat`` (inner product, M=32, efConstruction=80,
  efSearch=128). HNSW needs no training, adds products incrementally and keeps recall@10
  above 0.95 at 100k while searching in about a millisecond.
- from 500,000 vectors: ``IndexIVFFlat`` (inner product, nprobe 32). At 1M, HNSW's recall@10
  stalled at 0.898 on the hardest synthetic set whatever efSearch, while IVFFlat with 4,096
  lists and nprobe 32 kept 1.000 at p95 1.07 ms (``docs/catalog-benchmarks.md``). nlist is
  the power of two nearest 4*sqrt(n) (2,048 at 500k, 4,096 at 1M and the cap above), never
  more than n/39 lists; the k-means quantizer (25 iterations, fixed seed) is trained on all
  vectors up to 64 per list (262,144 at 1M).

``CATALOG_INDEX_TYPE`` (``auto``, ``flat``, ``hnsw``, ``ivf``) or ``build --index-type``
forces a type. The type is part of the fingerprint, so an index of another type than the
one expected is stale. ``fingerprint.json`` also records the type's parameters (``hnsw`` or
``ivf`` block); ``load_index`` takes IVF's nprobe from there, so it can be tuned without a
rebuild.

Filtered searches (price, size, colour, stock) pre-select eligible products in SQL, then
score that subset exactly with numpy when it is small, or ask FAISS with an ID selector when
it is large. With IVF, nprobe grows as the allowed share of the catalog shrinks. If FAISS
still returns fewer than k (a strict filter far from the query), the subset is scored
exactly, so a strict filter never returns fewer results than exist.

``load_index`` refuses a missing index (:class:`MissingIndexError`) or one built from
another catalog or as another type (:class:`StaleIndexError`); both messages carry the
command to run.
"""

from catalog_index.errors import (
    CatalogIndexError,
    MissingIndexError,
    StaleIndexError,
    UnknownIndexTypeError,
)
from catalog_index.index import CatalogIndex
from catalog_index.storage import build_index, default_index_dir, load_index

__all__ = [
    "CatalogIndex",
    "CatalogIndexError",
    "MissingIndexError",
    "StaleIndexError",
    "UnknownIndexTypeError",
    "build_index",
    "default_index_dir",
    "load_index",
]
