"""The FAISS index of the catalog: which index type for which size, building one, searching it.

Saving, loading and the staleness check are :mod:`catalog_index.storage`.
"""

from __future__ import annotations

import math

import faiss
import numpy as np

from catalog_index.errors import UnknownIndexTypeError
from shop import settings
from shop.ranking import Hits, Ids
from text_encoder import DIM, Encoder, get_encoder

INDEX_TYPES = ("flat", "hnsw", "ivf")
#: Environment variable that forces an index type (``auto``, the default, chooses by size).
INDEX_TYPE_ENV = "CATALOG_INDEX_TYPE"
#: Below this many vectors the index is exact (IndexFlatIP); from it on, HNSW.
HNSW_THRESHOLD = 20_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
#: From this many vectors, IndexIVFFlat: at 1M it kept recall@10 1.000 where HNSW got 0.898
#: (docs/catalog-benchmarks.md). 500k is a cut between the two measured sizes, 100k and 1M.
IVF_THRESHOLD = 500_000
#: Lists searched per query; nprobe 16 already gave recall@10 >= 0.999 at 1M, 32 is margin.
IVF_NPROBE = 32
#: nlist is the power of two nearest 4*sqrt(n), at most this (the measured value at 1M).
IVF_NLIST_MAX = 4096
#: FAISS's k-means wants at least 39 training points per list; fewer lists when n is small.
IVF_MIN_POINTS_PER_LIST = 39
#: The quantizer is trained on all vectors up to this many per list (262,144 at nlist 4096).
IVF_TRAIN_POINTS_PER_LIST = 64
IVF_KMEANS_ITERATIONS = 25
IVF_SEED = 1234
#: A filtered candidate set up to this size is scored exactly with numpy.
EXACT_SUBSET_MAX = 20_000


def choose_index_type(n: int) -> str:
    """Index type by size: ``flat`` (exact) below 20k vectors, ``hnsw`` below 500k, then ``ivf``."""
    if n >= IVF_THRESHOLD:
        return "ivf"
    return "hnsw" if n >= HNSW_THRESHOLD else "flat"


def resolve_index_type(n: int, requested: str | None = None) -> str:
    """``requested``, else ``CATALOG_INDEX_TYPE``, else by size (what ``auto`` and unset mean)."""
    if requested is None:
        requested = str(settings.value(INDEX_TYPE_ENV)).strip().lower() or "auto"
    if requested == "auto":
        return choose_index_type(n)
    if requested not in INDEX_TYPES:
        raise UnknownIndexTypeError(
            f"unknown index type {requested!r} (argument or {INDEX_TYPE_ENV}); "
            f"use auto, {', '.join(INDEX_TYPES)}"
        )
    return requested


def ivf_nlist(n: int) -> int:
    """IVF lists for ``n`` vectors: the power of two nearest 4*sqrt(n) (2,048 at 500k, 4,096
    at 1M), at most :data:`IVF_NLIST_MAX`, halved until each list has 39 training points."""
    if n < 2 * IVF_MIN_POINTS_PER_LIST:
        return 1
    nlist = min(2 ** round(math.log2(4 * math.sqrt(n))), IVF_NLIST_MAX)
    while nlist > 1 and nlist * IVF_MIN_POINTS_PER_LIST > n:
        nlist //= 2
    return nlist


def ivf_training_sample(vectors: np.ndarray, nlist: int) -> np.ndarray:
    """All vectors, or a fixed-seed sample of :data:`IVF_TRAIN_POINTS_PER_LIST` per list."""
    cap = IVF_TRAIN_POINTS_PER_LIST * nlist
    if len(vectors) <= cap:
        return vectors
    rows = np.random.default_rng(IVF_SEED).choice(len(vectors), cap, replace=False)
    return vectors[np.sort(rows)]


def make_faiss_index(
    vectors: np.ndarray, index_type: str, nlist: int | None = None, nprobe: int = IVF_NPROBE
) -> faiss.Index:
    """An inner-product index of ``index_type`` holding ``vectors`` (row i has id i).

    ``nlist`` (IVF only) defaults to :func:`ivf_nlist` of the number of vectors.
    """
    vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, DIM)
    if index_type == "flat":
        index = faiss.IndexFlatIP(DIM)
    elif index_type == "hnsw":
        index = faiss.IndexHNSWFlat(DIM, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    elif index_type == "ivf":
        nlist = nlist or ivf_nlist(len(vectors))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(DIM), DIM, nlist, faiss.METRIC_INNER_PRODUCT)
        index.cp.niter = IVF_KMEANS_ITERATIONS  # FAISS's IVF default is 10
        index.cp.seed = IVF_SEED
        if nlist == 1:
            index.cp.min_points_per_centroid = 1  # one list is the mean; no sample-size warning
        index.nprobe = min(nprobe, nlist)
        if len(vectors):  # an empty catalog stays untrained; search never reaches FAISS then
            index.train(ivf_training_sample(vectors, nlist))
    else:
        raise ValueError(f"unknown index type {index_type!r}")
    if len(vectors):
        index.add(vectors)
    return index


class CatalogIndex:
    """Vectors of the catalog's products with exact and approximate nearest-neighbour search."""

    def __init__(
        self,
        ids: np.ndarray,
        vectors: np.ndarray,
        index: faiss.Index | None = None,
        index_type: str | None = None,
        fingerprint: str = "",
        encoder: Encoder | None = None,
        nprobe: int = IVF_NPROBE,
        nlist: int | None = None,
    ) -> None:
        """``index`` is built from ``vectors`` when not given; ``nlist`` is used only then.

        ``nprobe`` (IVF only) is the number of lists an unfiltered search visits.
        """
        self.ids = np.asarray(ids, dtype=np.int64)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, DIM)
        if len(self.ids) != len(self.vectors):
            raise ValueError("ids and vectors differ in length")
        self.index_type = index_type or choose_index_type(len(self.ids))
        if index is None:
            index = make_faiss_index(self.vectors, self.index_type, nlist=nlist, nprobe=nprobe)
        self.index = index
        self.nlist = 0
        self.nprobe = 0
        if self.index_type == "ivf":
            ivf = faiss.extract_index_ivf(index)
            self.nlist = int(ivf.nlist)
            self.nprobe = ivf.nprobe = max(1, min(int(nprobe), self.nlist))
        self.fingerprint = fingerprint
        self._encoder = encoder
        self._row = {int(pid): i for i, pid in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, product_id: object) -> bool:
        return product_id in self._row

    def vector(self, product_id: int) -> np.ndarray | None:
        """Stored unit vector of a product, or None if it is not indexed."""
        row = self._row.get(int(product_id))
        return None if row is None else self.vectors[row]

    def encode(self, text: str) -> np.ndarray:
        """Query vector for ``text`` (loads the encoder on first use)."""
        if self._encoder is None:
            self._encoder = get_encoder()
        return self._encoder.encode_one(text)

    def search(self, vector: np.ndarray, k: int, allowed: Ids | None = None, exclude: Ids = ()) -> Hits:
        """Top ``k`` ``(product_id, cosine)`` pairs, restricted to ``allowed`` product ids."""
        if k <= 0 or len(self.ids) == 0:
            return []
        q = np.ascontiguousarray(np.asarray(vector, dtype=np.float32).reshape(1, DIM))
        excluded = {int(x) for x in exclude}
        if allowed is None:
            kk = min(len(self.ids), k + len(excluded))
            ivf = faiss.SearchParametersIVF(nprobe=self.nprobe) if self.index_type == "ivf" else None
            scores, rows = self.index.search(q, kk, params=ivf)
            pairs = [(int(self.ids[r]), float(s)) for s, r in zip(scores[0], rows[0], strict=False) if r >= 0]
            pairs = [p for p in pairs if p[0] not in excluded][:k]
            skipped = [self._row[p] for p in excluded if p in self._row]
            if len(pairs) < min(k, len(self.ids) - len(skipped)):
                # The visited IVF lists held fewer vectors than asked for (only with a tiny
                # forced nlist): score everything exactly instead.
                scores1 = self.vectors @ q[0]
                scores1[skipped] = -np.inf
                top = _top_k(scores1, min(k, len(self.ids) - len(skipped)))
                return [(int(self.ids[i]), float(scores1[i])) for i in top]
            return pairs
        rows_l = [self._row[int(p)] for p in allowed if int(p) in self._row and int(p) not in excluded]
        if not rows_l:
            return []
        rows_a = np.fromiter(rows_l, dtype=np.int64, count=len(rows_l))
        if len(rows_a) <= EXACT_SUBSET_MAX or self.index_type == "flat":
            return self._exact(q[0], rows_a, k)
        selector = faiss.IDSelectorBatch(rows_a)
        params: faiss.SearchParameters
        if self.index_type == "ivf":
            params = faiss.SearchParametersIVF(sel=selector, nprobe=self.filtered_nprobe(len(rows_a)))
        else:
            params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(HNSW_EF_SEARCH, 2 * k))
        want = min(k, len(rows_a))
        scores2, found = self.index.search(q, want, params=params)
        hits = [(int(self.ids[r]), float(s)) for s, r in zip(scores2[0], found[0], strict=False) if r >= 0]
        if len(hits) < want:
            # The visited lists (or graph) held fewer allowed products than asked for, e.g. a
            # category far from the query: score the whole subset so none is left out.
            return self._exact(q[0], rows_a, k)
        return hits

    def filtered_nprobe(self, n_allowed: int) -> int:
        """IVF lists to visit when only ``n_allowed`` products qualify.

        nprobe grows as the allowed share shrinks, so a filtered search scores about as many
        allowed vectors as an unfiltered one (the others cost only a membership test).
        """
        share = max(n_allowed, 1) / max(len(self.ids), 1)
        return min(self.nlist, max(self.nprobe, math.ceil(self.nprobe / share)))

    def _exact(self, q: np.ndarray, rows: np.ndarray, k: int) -> Hits:
        scores = self.vectors[rows] @ q
        top = np.argsort(-scores)[:k] if len(scores) <= 4 * k else _top_k(scores, k)
        return [(int(self.ids[rows[i]]), float(scores[i])) for i in top]


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    part = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    return part[np.argsort(-scores[part])]
