"""Build, save, load and query the FAISS index of the catalog."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Collection

import faiss
import numpy as np
from sqlalchemy.orm import sessionmaker

from catalog_index.catalog_rows import CatalogRow, fingerprint, read_catalog
from catalog_index.encoder import DIM, MODEL_NAME
from shop.config import PROJECT_ROOT

if TYPE_CHECKING:
    from catalog_index.encoder import Encoder

BUILD_COMMAND = "python -m catalog_index.build"
#: Below this many vectors the index is exact (IndexFlatIP); from it on, HNSW.
HNSW_THRESHOLD = 20_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
#: A filtered candidate set up to this size is scored exactly with numpy.
EXACT_SUBSET_MAX = 20_000
FILES = ("index.faiss", "ids.npy", "vectors.npy", "fingerprint.json")


class CatalogIndexError(RuntimeError):
    """The catalog index cannot be used; the message says what to run."""


class MissingIndexError(CatalogIndexError):
    """No index was built in the folder."""


class StaleIndexError(CatalogIndexError):
    """The index was built from another catalog (or model, or index type)."""


def default_index_dir() -> Path:
    """``CATALOG_INDEX_DIR`` or ``var/catalog_index`` under the project root."""
    raw = os.environ.get("CATALOG_INDEX_DIR", "").strip()
    return Path(raw) if raw else PROJECT_ROOT / "var" / "catalog_index"


def choose_index_type(n: int) -> str:
    """``flat`` (exact) for small catalogs, ``hnsw`` from :data:`HNSW_THRESHOLD` vectors."""
    return "hnsw" if n >= HNSW_THRESHOLD else "flat"


def make_faiss_index(vectors: np.ndarray, index_type: str) -> faiss.Index:
    """An inner-product index of ``index_type`` holding ``vectors`` (row i has id i)."""
    if index_type == "flat":
        index = faiss.IndexFlatIP(DIM)
    elif index_type == "hnsw":
        index = faiss.IndexHNSWFlat(DIM, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        raise ValueError(f"unknown index type {index_type!r}")
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
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
    ) -> None:
        self.ids = np.asarray(ids, dtype=np.int64)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, DIM)
        if len(self.ids) != len(self.vectors):
            raise ValueError("ids and vectors differ in length")
        self.index_type = index_type or choose_index_type(len(self.ids))
        self.index = index if index is not None else make_faiss_index(self.vectors, self.index_type)
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
            from catalog_index.encoder import get_encoder

            self._encoder = get_encoder()
        return self._encoder.encode_one(text)

    def search(
        self,
        vector: np.ndarray,
        k: int,
        allowed: Collection[int] | None = None,
        exclude: Collection[int] = (),
    ) -> list[tuple[int, float]]:
        """Top ``k`` ``(product_id, cosine)`` pairs, restricted to ``allowed`` product ids."""
        if k <= 0 or len(self.ids) == 0:
            return []
        q = np.ascontiguousarray(np.asarray(vector, dtype=np.float32).reshape(1, DIM))
        excluded = {int(x) for x in exclude}
        if allowed is None:
            kk = min(len(self.ids), k + len(excluded))
            scores, rows = self.index.search(q, kk)
            pairs = [(int(self.ids[r]), float(s)) for s, r in zip(scores[0], rows[0], strict=False) if r >= 0]
            return [p for p in pairs if p[0] not in excluded][:k]
        rows_l = [self._row[int(p)] for p in allowed if int(p) in self._row and int(p) not in excluded]
        if not rows_l:
            return []
        rows_a = np.fromiter(rows_l, dtype=np.int64, count=len(rows_l))
        if len(rows_a) <= EXACT_SUBSET_MAX or self.index_type == "flat":
            scores = self.vectors[rows_a] @ q[0]
            top = np.argsort(-scores)[:k] if len(scores) <= 4 * k else _top_k(scores, k)
            return [(int(self.ids[rows_a[i]]), float(scores[i])) for i in top]
        selector = faiss.IDSelectorBatch(rows_a)
        params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(HNSW_EF_SEARCH, 2 * k))
        scores2, found = self.index.search(q, min(k, len(rows_a)), params=params)
        return [(int(self.ids[r]), float(s)) for s, r in zip(scores2[0], found[0], strict=False) if r >= 0]


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    part = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    return part[np.argsort(-scores[part])]


@dataclass(frozen=True)
class BuildResult:
    folder: Path
    built: bool
    count: int
    index_type: str
    fingerprint: str
    seconds: float


def current_fingerprint(session_factory: sessionmaker) -> tuple[list[CatalogRow], str, str]:
    """Rows, index type and fingerprint of the catalog now in the DB (no encoding)."""
    rows = read_catalog(session_factory)
    index_type = choose_index_type(len(rows))
    return rows, index_type, fingerprint(rows, MODEL_NAME, index_type)


def read_meta(folder: Path) -> dict | None:
    path = Path(folder) / "fingerprint.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def build_index(
    session_factory: sessionmaker,
    out: Path | None = None,
    force: bool = False,
    encoder: Encoder | None = None,
    progress: bool = False,
    batch_size: int = 64,
) -> BuildResult:
    """Encode the catalog and write the index into ``out``, unless it is already current."""
    t0 = time.perf_counter()
    out = Path(out) if out is not None else default_index_dir()
    rows, index_type, fp = current_fingerprint(session_factory)
    meta = read_meta(out)
    if not force and meta and meta.get("fingerprint") == fp and all((out / f).exists() for f in FILES):
        return BuildResult(out, False, len(rows), index_type, fp, time.perf_counter() - t0)
    if encoder is None:
        from catalog_index.encoder import get_encoder

        encoder = get_encoder()
    vectors = encoder.encode([r.text() for r in rows], batch_size=batch_size, progress=progress)
    ids = np.array([r.id for r in rows], dtype=np.int64)
    index = make_faiss_index(vectors, index_type)
    out.mkdir(parents=True, exist_ok=True)
    # Write beside the final names, then rename; the fingerprint goes last, so an
    # interrupted build leaves an index that load_index reports as stale, never half-read.
    (out / "fingerprint.json").unlink(missing_ok=True)
    faiss.write_index(index, str(out / "index.faiss.tmp"))
    os.replace(out / "index.faiss.tmp", out / "index.faiss")
    for name, arr in (("ids.npy", ids), ("vectors.npy", vectors)):
        with open(out / (name + ".tmp"), "wb") as fh:
            np.save(fh, arr)
        os.replace(out / (name + ".tmp"), out / name)
    seconds = time.perf_counter() - t0
    meta = {
        "fingerprint": fp,
        "model": MODEL_NAME,
        "index_type": index_type,
        "count": len(rows),
        "dim": DIM,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "build_seconds": round(seconds, 2),
        "hnsw": {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION, "efSearch": HNSW_EF_SEARCH}
        if index_type == "hnsw"
        else None,
    }
    (out / "fingerprint.json.tmp").write_text(json.dumps(meta, indent=2))
    os.replace(out / "fingerprint.json.tmp", out / "fingerprint.json")
    return BuildResult(out, True, len(rows), index_type, fp, seconds)


def load_index(
    folder: Path | str | None = None, session_factory: sessionmaker | None = None, check: bool = True
) -> CatalogIndex:
    """Load the index in ``folder``; with ``check`` refuse one built from another catalog."""
    folder = Path(folder) if folder is not None else default_index_dir()
    missing = [f for f in FILES if not (folder / f).exists()]
    if missing:
        raise MissingIndexError(
            f"No catalog index in {folder} (missing {', '.join(missing)}). "
            f"Build it with: {BUILD_COMMAND} --out {folder}"
        )
    meta = read_meta(folder) or {}
    if check:
        if session_factory is None:
            from shop.db.session import default_sessionmaker

            session_factory = default_sessionmaker()
        _rows, _type, fp = current_fingerprint(session_factory)
        if meta.get("fingerprint") != fp:
            raise StaleIndexError(
                f"The catalog index in {folder} was built from another catalog "
                f"(index {str(meta.get('fingerprint'))[:12]}, catalog {fp[:12]}). "
                f"Rebuild it with: {BUILD_COMMAND} --out {folder}"
            )
    index = faiss.read_index(str(folder / "index.faiss"))
    ids = np.load(folder / "ids.npy")
    vectors = np.load(folder / "vectors.npy")
    if index.ntotal != len(ids) or len(ids) != len(vectors):
        raise StaleIndexError(
            f"The catalog index in {folder} is inconsistent ({index.ntotal} vectors in FAISS, "
            f"{len(ids)} ids). Rebuild it with: {BUILD_COMMAND} --force --out {folder}"
        )
    index_type = str(meta.get("index_type") or choose_index_type(len(ids)))
    if index_type == "hnsw":
        faiss.downcast_index(index).hnsw.efSearch = HNSW_EF_SEARCH
    return CatalogIndex(
        ids, vectors, index=index, index_type=index_type, fingerprint=str(meta.get("fingerprint", ""))
    )
