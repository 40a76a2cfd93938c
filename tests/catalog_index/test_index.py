"""Index build, fingerprint, load and stale/missing detection on a small built catalog."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal

import faiss
import numpy as np
import pytest

from catalog_index.errors import CatalogIndexError, MissingIndexError, StaleIndexError
from catalog_index.index import IVF_NPROBE, CatalogIndex, choose_index_type, ivf_nlist, resolve_index_type
from catalog_index.storage import build_index, load_index, write_index
from shop.catalog_rows import fingerprint, read_catalog
from shop.db.models import Base, Product
from shop.db.session import make_engine, make_sessionmaker
from shop.recommend import Recommender
from tests.support.small_catalog import make_small_catalog
from text_encoder import MODEL_NAME, get_encoder


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


def test_index_type_is_exact_for_small_hnsw_for_large_and_ivf_for_very_large_catalogs():
    assert choose_index_type(0) == "flat"
    assert choose_index_type(2_000) == "flat"
    assert choose_index_type(19_999) == "flat"
    assert choose_index_type(20_000) == "hnsw"
    assert choose_index_type(499_999) == "hnsw"
    assert choose_index_type(500_000) == "ivf"
    assert choose_index_type(5_000_000) == "ivf"


def test_ivf_nlist_is_a_power_of_two_near_4_sqrt_n_with_39_points_per_list():
    assert ivf_nlist(500_000) == 2048
    assert ivf_nlist(1_000_000) == 4096
    assert ivf_nlist(10_000_000) == 4096  # capped at the value measured at 1M
    assert ivf_nlist(4_000) == 64  # 4*sqrt(4000) ~ 253, but 4000 vectors train only 102 lists
    assert ivf_nlist(30) == 1
    for n in (100, 4_000, 20_000, 123_457, 500_000, 1_000_000):
        nlist = ivf_nlist(n)
        assert nlist & (nlist - 1) == 0 and 39 * nlist <= n


def test_index_type_is_forced_by_argument_then_environment(monkeypatch):
    monkeypatch.delenv("CATALOG_INDEX_TYPE", raising=False)
    assert resolve_index_type(2_000) == "flat"
    assert resolve_index_type(2_000, "ivf") == "ivf"
    monkeypatch.setenv("CATALOG_INDEX_TYPE", "hnsw")
    assert resolve_index_type(2_000) == "hnsw"
    assert resolve_index_type(2_000, "ivf") == "ivf"
    assert resolve_index_type(2_000, "auto") == "flat"
    monkeypatch.setenv("CATALOG_INDEX_TYPE", "auto")
    assert resolve_index_type(600_000) == "ivf"
    with pytest.raises(ValueError, match="unknown index type"):
        resolve_index_type(2_000, "ivfpq")
    monkeypatch.setenv("CATALOG_INDEX_TYPE", "IVF-PQ")
    with pytest.raises(CatalogIndexError, match="CATALOG_INDEX_TYPE"):  # the actions report it
        resolve_index_type(2_000)


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


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _blends(n: int, seed: int) -> np.ndarray:
    """Unit vectors between 20 fixed centres plus noise: neighbours straddle IVF lists."""
    centres = _unit(np.random.default_rng(0).normal(size=(20, 384)))
    rng = np.random.default_rng(seed)
    w = rng.random((n, 1))
    mixed = _unit(w * centres[rng.integers(0, 20, n)] + (1 - w) * centres[rng.integers(0, 20, n)])
    return _unit(mixed + rng.normal(0, 0.05, (n, 384)))


@pytest.fixture(scope="module")
def blends():
    vecs = _blends(4_000, seed=1)
    return vecs, CatalogIndex(np.arange(4_000) + 1, vecs, index_type="ivf", nlist=64)


def _recall_at_10(index: CatalogIndex, vecs: np.ndarray, queries: np.ndarray) -> float:
    found = 0
    for q in queries:
        truth = set((np.argsort(-(vecs @ q))[:10] + 1).tolist())
        found += len(truth & {pid for pid, _ in index.search(q, 10)})
    return found / (10 * len(queries))


def test_ivf_index_reaches_recall_at_10_of_exact_search(blends):
    vecs, index = blends
    ivf = faiss.downcast_index(index.index)
    assert isinstance(ivf, faiss.IndexIVFFlat) and ivf.metric_type == faiss.METRIC_INNER_PRODUCT
    assert (index.nlist, index.nprobe) == (64, IVF_NPROBE)
    queries = _blends(100, seed=2)
    assert _recall_at_10(index, vecs, queries) >= 0.9
    index.nprobe = 1  # one list of 64 misses neighbours: shows nprobe reaches FAISS
    try:
        assert _recall_at_10(index, vecs, queries) < 0.85
    finally:
        index.nprobe = IVF_NPROBE


def _with_nprobe(built: CatalogIndex, nprobe: int) -> CatalogIndex:
    index = faiss.clone_index(built.index)  # nprobe is set on the FAISS index too
    return CatalogIndex(built.ids, built.vectors, index=index, index_type="ivf", nprobe=nprobe)


def test_ivf_filtered_search_returns_only_allowed_products(blends, monkeypatch):
    import catalog_index.index as index_module

    monkeypatch.setattr(index_module, "EXACT_SUBSET_MAX", 100)  # force the FAISS selector path
    vecs, built = blends
    index = _with_nprobe(built, 1)
    in_stock = set(range(1, 4_001, 4))
    assert index.filtered_nprobe(len(in_stock)) == 4  # a quarter of the catalog: 4x the lists
    found = 0
    for q in _blends(50, seed=3):
        hits = index.search(q, 10, allowed=in_stock, exclude={1})
        assert len(hits) == 10 and all(pid in in_stock and pid != 1 for pid, _ in hits)
        exact = sorted(in_stock - {1}, key=lambda pid: -float(vecs[pid - 1] @ q))[:10]
        found += len({pid for pid, _ in hits} & set(exact))
    assert found / 500 >= 0.9


def test_ivf_strict_filter_far_from_the_query_still_gets_k_results(blends, monkeypatch):
    import catalog_index.index as index_module

    monkeypatch.setattr(index_module, "EXACT_SUBSET_MAX", 100)
    vecs, built = blends
    index = _with_nprobe(built, 1)
    quantizer = faiss.extract_index_ivf(index.index).quantizer
    far_lists = np.argsort(quantizer.reconstruct_n(0, 64) @ vecs[0])[:3]
    members = np.isin(quantizer.search(vecs, 1)[1][:, 0], far_lists)
    strict = {int(pid) for pid in index.ids[members]}
    assert len(strict) > 100 and index.filtered_nprobe(len(strict)) < 61  # lists not all visited
    hits = index.search(vecs[0], 10, allowed=strict)
    expected = sorted(strict, key=lambda pid: -float(vecs[pid - 1] @ vecs[0]))[:10]
    assert [pid for pid, _ in hits] == expected


def test_ivf_search_with_few_lists_visited_still_returns_k_results(blends):
    vecs, built = blends
    index = _with_nprobe(built, 1)
    hits = index.search(vecs[0], 300, exclude={1})  # one list holds ~60 vectors
    exact = np.argsort(-(vecs @ vecs[0]))[1:301] + 1
    assert [pid for pid, _ in hits] == exact.tolist()


def test_ivf_parameters_round_trip_through_fingerprint_json(blends, tmp_path):
    vecs, built = blends
    index = _with_nprobe(built, 5)
    write_index(tmp_path, index, {"fingerprint": "test"})
    meta = json.loads((tmp_path / "fingerprint.json").read_text())
    assert meta["index_type"] == "ivf" and meta["hnsw"] is None
    assert meta["ivf"]["nlist"] == 64 and meta["ivf"]["nprobe"] == 5
    loaded = load_index(tmp_path, check=False)
    assert (loaded.index_type, loaded.nlist, loaded.nprobe) == ("ivf", 64, 5)
    assert loaded.search(vecs[7], 10) == index.search(vecs[7], 10)
    meta["ivf"]["nprobe"] = 9  # tuned in fingerprint.json, no rebuild
    (tmp_path / "fingerprint.json").write_text(json.dumps(meta))
    loaded = load_index(tmp_path, check=False)
    assert loaded.nprobe == 9 and faiss.extract_index_ivf(loaded.index).nprobe == 9


def test_forcing_another_index_type_makes_the_index_stale_until_rebuilt(catalog, tmp_path, monkeypatch):
    sf, _ids, folder, _ = catalog
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    with pytest.raises(StaleIndexError, match="was built as flat, but ivf is expected") as stale:
        load_index(copy, sf, index_type="ivf")
    assert "python -m catalog_index.build --index-type ivf --out" in str(stale.value)
    monkeypatch.setenv("CATALOG_INDEX_TYPE", "ivf")
    with pytest.raises(StaleIndexError, match="CATALOG_INDEX_TYPE=ivf"):
        load_index(copy, sf)
    monkeypatch.delenv("CATALOG_INDEX_TYPE")
    rebuilt = build_index(sf, copy, index_type="ivf")
    assert rebuilt.built and rebuilt.index_type == "ivf"
    assert not build_index(sf, copy, index_type="ivf").built
    assert json.loads((copy / "fingerprint.json").read_text())["ivf"]["nprobe"] == 1  # one list
    assert load_index(copy, sf, index_type="ivf").index_type == "ivf"
    with pytest.raises(StaleIndexError, match="was built as ivf, but flat is expected"):
        load_index(copy, sf)


def test_ivf_catalog_index_recommends_in_stock_products_only(catalog, tmp_path, monkeypatch):
    import catalog_index.index as index_module

    sf, ids, _folder, _ = catalog
    build_index(sf, tmp_path / "ivf", index_type="ivf")
    monkeypatch.setattr(index_module, "EXACT_SUBSET_MAX", 0)  # force the FAISS selector path
    rec = Recommender(load_index(tmp_path / "ivf", sf, index_type="ivf"), sf)
    got = {r.product_id for r in rec.search("waterproof storm jacket heavy rain", 20)}
    assert got and got <= rec.eligible_ids()
    assert ids["JK-TMP-WPJ"] not in got  # sold out in every size
