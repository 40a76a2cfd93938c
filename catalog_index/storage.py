"""Building, saving and loading the catalog index, and refusing one that does not fit the catalog.

The folder holds ``index.faiss``, ``ids.npy``, ``vectors.npy`` and ``fingerprint.json``
(written last, so an interrupted build reads as stale, never half-read).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
from sqlalchemy.orm import sessionmaker

from catalog_index.errors import MissingIndexError, StaleIndexError
from catalog_index.index import (
    HNSW_EF_CONSTRUCTION,
    HNSW_EF_SEARCH,
    HNSW_M,
    INDEX_TYPE_ENV,
    INDEX_TYPES,
    IVF_KMEANS_ITERATIONS,
    IVF_NPROBE,
    IVF_TRAIN_POINTS_PER_LIST,
    CatalogIndex,
    choose_index_type,
    resolve_index_type,
)
from catalog_index.paths import var_folder
from shop import settings
from shop.catalog_rows import CatalogRow, fingerprint, read_catalog
from text_encoder import DIM, MODEL_NAME, Encoder, get_encoder

BUILD_COMMAND = "python -m catalog_index.build"
FILES = ("index.faiss", "ids.npy", "vectors.npy", "fingerprint.json")


@dataclass(frozen=True)
class BuildResult:
    """What a build did: where, whether it encoded anything, how many products, how long."""

    folder: Path
    built: bool
    count: int
    index_type: str
    fingerprint: str
    seconds: float


def default_index_dir() -> Path:
    """``CATALOG_INDEX_DIR`` or ``var/catalog_index`` under the project root."""
    return var_folder("CATALOG_INDEX_DIR", "catalog_index")


def current_fingerprint(
    session_factory: sessionmaker, index_type: str | None = None
) -> tuple[list[CatalogRow], str, str]:
    """Rows, index type and fingerprint of the catalog now in the DB (no encoding).

    ``index_type`` is resolved by :func:`resolve_index_type` (argument, environment, size).
    """
    rows = read_catalog(session_factory)
    index_type = resolve_index_type(len(rows), index_type)
    return rows, index_type, fingerprint(rows, MODEL_NAME, index_type)


def read_meta(folder: Path) -> dict | None:
    """The folder's ``fingerprint.json``, None when it is missing or unreadable."""
    path = Path(folder) / "fingerprint.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def index_params(index: CatalogIndex) -> dict:
    """The ``hnsw`` and ``ivf`` blocks of ``fingerprint.json`` (None for the other types)."""
    return {
        "hnsw": {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION, "efSearch": HNSW_EF_SEARCH}
        if index.index_type == "hnsw"
        else None,
        "ivf": {
            "nlist": index.nlist,
            "nprobe": index.nprobe,
            "kmeans_iterations": IVF_KMEANS_ITERATIONS,
            "train_points": min(len(index), IVF_TRAIN_POINTS_PER_LIST * index.nlist),
        }
        if index.index_type == "ivf"
        else None,
    }


def write_index(folder: Path, index: CatalogIndex, meta: dict) -> None:
    """Write ``index`` into ``folder`` with ``meta`` (plus type and parameters) as fingerprint.json."""
    folder.mkdir(parents=True, exist_ok=True)
    # Write beside the final names, then rename; the fingerprint goes last, so an
    # interrupted build leaves an index that load_index reports as stale, never half-read.
    (folder / "fingerprint.json").unlink(missing_ok=True)
    faiss.write_index(index.index, str(folder / "index.faiss.tmp"))
    os.replace(folder / "index.faiss.tmp", folder / "index.faiss")
    for name, arr in (("ids.npy", index.ids), ("vectors.npy", index.vectors)):
        with open(folder / (name + ".tmp"), "wb") as fh:
            np.save(fh, arr)
        os.replace(folder / (name + ".tmp"), folder / name)
    meta = {**meta, "index_type": index.index_type, "count": len(index), "dim": DIM, **index_params(index)}
    (folder / "fingerprint.json.tmp").write_text(json.dumps(meta, indent=2))
    os.replace(folder / "fingerprint.json.tmp", folder / "fingerprint.json")


def build_index(
    session_factory: sessionmaker,
    out: Path | None = None,
    force: bool = False,
    encoder: Encoder | None = None,
    progress: bool = False,
    batch_size: int = 64,
    index_type: str | None = None,
) -> BuildResult:
    """Encode the catalog and write the index into ``out``, unless it is already current.

    ``index_type`` (``auto``, ``flat``, ``hnsw``, ``ivf``) overrides ``CATALOG_INDEX_TYPE``;
    an index of another type is out of date and rebuilt.
    """
    t0 = time.perf_counter()
    out = Path(out) if out is not None else default_index_dir()
    rows, index_type, fp = current_fingerprint(session_factory, index_type)
    meta = read_meta(out)
    if not force and meta and meta.get("fingerprint") == fp and all((out / f).exists() for f in FILES):
        return BuildResult(out, False, len(rows), index_type, fp, time.perf_counter() - t0)
    if encoder is None:
        encoder = get_encoder()
    vectors = encoder.encode([r.text() for r in rows], batch_size=batch_size, progress=progress)
    ids = np.array([r.id for r in rows], dtype=np.int64)
    index = CatalogIndex(ids, vectors, index_type=index_type, fingerprint=fp)
    seconds = time.perf_counter() - t0
    meta = {
        "fingerprint": fp,
        "model": MODEL_NAME,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "build_seconds": round(seconds, 2),
    }
    write_index(out, index, meta)
    return BuildResult(out, True, len(rows), index_type, fp, time.perf_counter() - t0)


def _stale_reason(
    meta: dict, rows: list[CatalogRow], index_type: str, fp: str, requested: str | None
) -> tuple[str, str]:
    """Why the index in ``meta`` does not fit the catalog, and the build flag that fixes it."""
    built_type = meta.get("index_type")
    if (
        built_type in INDEX_TYPES
        and built_type != index_type
        and meta.get("fingerprint") == fingerprint(rows, MODEL_NAME, built_type)
    ):
        if requested is not None:
            why = f"index_type={requested!r}"
        elif forced := str(settings.value(INDEX_TYPE_ENV)).strip():
            why = f"{INDEX_TYPE_ENV}={forced}"
        else:
            why = f"chosen by size for {len(rows)} products; {INDEX_TYPE_ENV} forces a type"
        return (
            f"was built as {built_type}, but {index_type} is expected ({why})",
            f" --index-type {index_type}",
        )
    return (
        f"was built from another catalog (index {str(meta.get('fingerprint'))[:12]}, catalog {fp[:12]})",
        "",
    )


def load_index(
    folder: Path | str | None = None,
    session_factory: sessionmaker | None = None,
    check: bool = True,
    index_type: str | None = None,
) -> CatalogIndex:
    """Load the index in ``folder``; with ``check`` refuse one built from another catalog.

    With ``check``, an index of another type than :func:`resolve_index_type` gives for the
    catalog (``index_type``, ``CATALOG_INDEX_TYPE``, size) is stale too.
    """
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
        rows, wanted, fp = current_fingerprint(session_factory, index_type)
        if meta.get("fingerprint") != fp:
            reason, flag = _stale_reason(meta, rows, wanted, fp, index_type)
            raise StaleIndexError(
                f"The catalog index in {folder} {reason}. "
                f"Rebuild it with: {BUILD_COMMAND}{flag} --out {folder}"
            )
    index = faiss.read_index(str(folder / "index.faiss"))
    ids = np.load(folder / "ids.npy")
    vectors = np.load(folder / "vectors.npy")
    if index.ntotal != len(ids) or len(ids) != len(vectors):
        raise StaleIndexError(
            f"The catalog index in {folder} is inconsistent ({index.ntotal} vectors in FAISS, "
            f"{len(ids)} ids). Rebuild it with: {BUILD_COMMAND} --force --out {folder}"
        )
    built_type = str(meta.get("index_type") or choose_index_type(len(ids)))
    if built_type == "hnsw":
        faiss.downcast_index(index).hnsw.efSearch = HNSW_EF_SEARCH
    # nprobe is a search setting: fingerprint.json's value wins, so it can be tuned there.
    nprobe = int((meta.get("ivf") or {}).get("nprobe") or IVF_NPROBE)
    return CatalogIndex(
        ids,
        vectors,
        index=index,
        index_type=built_type,
        fingerprint=str(meta.get("fingerprint", "")),
        nprobe=nprobe,
    )
