"""Index build, fingerprint, load and stale/missing detection on a small built catalog."""

from __future__ import annotations

import json
from decimal import Decimal

import numpy as np
import pytest

from catalog_index.catalog_rows import fingerprint, read_catalog
from catalog_index.encoder import MODEL_NAME, get_encoder
from catalog_index.index import (
    CatalogIndex,
    MissingIndexError,
    StaleIndexError,
    build_index,
    choose_index_type,
    load_index,
)
from catalog_index.testing import make_small_catalog
from shop.db.models import Base, Product
from shop.db.session import make_engine, make_sessionmaker


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    root = tmp_path_factory.mktemp("catalog")
    sf, ids = make_small_catalog(f"sqlite:///{root / 'shop.db'}")
    result = build_index(sf, root / "index")
    return sf, ids, root / "index", result


def test_build_writes_index_ids_vectors_and_fingerprint(catalog):
    sf, ids, folder, result = catalog
    assert result.built and result.count == len(ids) and result.index_type == "flat"
    for name in ("index.faiss", "ids.npy", "vectors.npy", "fingerprint.json"):
        assert (folder / name).exists()
    meta = json.loads((folder / "fingerprint.json").read_text())
    assert meta["fingerprint"] == result.fingerprint and meta["model"] == MODEL_NAME
    vectors = np.load(folder / "vectors.npy")
    assert vectors.dtype == np.float32 and vectors.shape == (len(ids), 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert sorted(np.load(folder / "ids.npy").tolist()) == sorted(ids.values())


def test_rebuild_is_skipped_when_catalog_unchanged(catalog):
    sf, _ids, folder, first = catalog
    again = build_index(sf, folder)
    assert not again.built and again.fingerprint == first.fingerprint
    assert again.seconds < 1.0


def test_fingerprint_is_stable_and_ignores_price_and_stock(catalog):
    sf, ids, _folder, result = catalog
    rows = read_catalog(sf)
    assert fingerprint(rows, MODEL_NAME, "flat") == result.fingerprint
    assert fingerprint(list(reversed(rows)), MODEL_NAME, "flat") == result.fingerprint
    assert fingerprint(rows, MODEL_NAME, "hnsw") != result.fingerprint
    with sf.begin() as s:
        p = s.get(Product, ids["SH-NIM-RUN"])
        old_price, p.price, p.stock = p.price, Decimal("1.00"), 999
    try:
        assert fingerprint(read_catalog(sf), MODEL_NAME, "flat") == result.fingerprint
    finally:
        with sf.begin() as s:
            s.get(Product, ids["SH-NIM-RUN"]).price = old_price


def test_loaded_index_finds_semantically_close_products(catalog):
    sf, ids, folder, _ = catalog
    index = load_index(folder, sf)
    assert len(index) == len(ids)
    hits = index.search(index.encode("waterproof rain jacket"), 3)
    assert ids["JK-DRZ-RAI"] in [pid for pid, _ in hits] or ids["JK-STM-SHL"] in [pid for pid, _ in hits]
    own = index.search(index.vector(ids["YG-MAT-PRO"]), 1)
    assert own[0][0] == ids["YG-MAT-PRO"] and own[0][1] == pytest.approx(1.0, abs=1e-4)


def test_filtered_search_scores_only_allowed_products(catalog):
    sf, ids, folder, _ = catalog
    index = load_index(folder, sf)
    allowed = {ids["CP-TNT-2P"], ids["YG-BLK-COR"]}
    hits = index.search(index.encode("running shoe"), 10, allowed=allowed)
    assert {pid for pid, _ in hits} == allowed
    assert index.search(index.encode("x"), 5, allowed=set()) == []


def test_missing_index_names_the_build_command(catalog, tmp_path):
    sf, *_ = catalog
    with pytest.raises(MissingIndexError, match="python -m catalog_index.build"):
        load_index(tmp_path / "nowhere", sf)


def test_index_from_another_catalog_is_stale(catalog, tmp_path):
    _sf, _ids, folder, _ = catalog
    other_sf, _ = make_small_catalog(f"sqlite:///{tmp_path / 'other.db'}", with_orders=False)
    with other_sf.begin() as s:
        s.add(
            Product(
                sku="NEW-1",
                name="Brand New Thing",
                brand="X",
                category="Misc",
                price=Decimal("5.00"),
                stock=1,
            )
        )
    with pytest.raises(StaleIndexError, match="python -m catalog_index.build"):
        load_index(folder, other_sf)


def test_interrupted_build_without_fingerprint_is_stale(catalog, tmp_path):
    sf, _ids, folder, _ = catalog
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    (copy / "fingerprint.json").write_text("{}")
    with pytest.raises(StaleIndexError):
        load_index(copy, sf)


def test_empty_catalog_builds_an_empty_index(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    Base.metadata.create_all(engine)
    sf = make_sessionmaker(engine)
    result = build_index(sf, tmp_path / "idx", encoder=get_encoder())
    assert result.built and result.count == 0
    index = load_index(tmp_path / "idx", sf)
    assert len(index) == 0 and index.search(np.ones(384, dtype=np.float32), 5) == []


def test_index_type_is_exact_for_small_and_hnsw_for_large_catalogs():
    assert choose_index_type(2_000) == "flat"
    assert choose_index_type(19_999) == "flat"
    assert choose_index_type(20_000) == "hnsw"


def test_hnsw_index_with_selector_respects_allowed_ids(monkeypatch):
    import catalog_index.index as index_module

    monkeypatch.setattr(index_module, "EXACT_SUBSET_MAX", 100)  # force the FAISS selector path
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(2_000, 384)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    index = CatalogIndex(np.arange(2_000) + 1, vecs, index_type="hnsw")
    allowed = set(range(2, 1_001))
    hits = index.search(vecs[0], 5, allowed=allowed)
    assert len(hits) == 5 and all(pid in allowed for pid, _ in hits)
    exact = sorted(allowed, key=lambda pid: -float(vecs[pid - 1] @ vecs[0]))[:5]
    assert len({pid for pid, _ in hits} & set(exact)) >= 4
