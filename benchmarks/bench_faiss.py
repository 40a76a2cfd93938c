"""FAISS search p50/p95 and recall@10 against exact numpy search, with the speed ratio.

    python benchmarks/bench_faiss.py [--index var/catalog_index] [--sizes demo,100000] [--million]
    nice -n 10 python benchmarks/bench_faiss.py --sizes 1000000 --variants easy,mix --kinds ivf,ivfpq

Large sets are synthetic, derived from the real product embeddings (``vectors.npy`` of a
built index). Two variants:

- ``easy``: a real product vector plus Gaussian noise (sigma 0.025 per dimension, cosine to
  the source product ~0.9), renormalised. At 1M every product has ~500 copies forming a
  tight cluster, so a query's 10 neighbours all sit in its source product's cluster: easy
  for ANN (IVF centroids land on the products), recall is optimistic.
- ``mix``: a random convex mix ``w*a + (1-w)*b`` (w uniform in [0, 1]) of a real product
  ``a`` and one of its 20 nearest real products ``b``, plus the same noise, renormalised.
  This fills the space between related products, the way a big catalog of many near
  variants does. With the default noise it is barely harder than ``easy`` (the noise still
  dominates); ``--noise 0.01`` (cosine to the mixed source ~0.98) keeps the mixing structure
  and is the hardest set measured.

Queries are held out: drawn by the same generator with a different random stream, so they
are never vectors of the index. Exact search (numpy matrix-vector product + argpartition,
one query at a time, BLAS limited to one thread like FAISS) is the baseline, measured in the
same run on the same queries, and its result is the ground truth for recall@10.

Index kinds (``--kinds``; ``auto`` = HNSW with efConstruction 80 up to 200k, IVF above):

- ``flat``   IndexFlatIP (exact).
- ``hnsw``   IndexHNSWFlat M=32 (``--hnsw-efc``, default: 80 up to 200k vectors, 40 above),
             efSearch 64/128/256.
- ``ivf``    IndexIVFFlat, nlist ``--nlist`` (4096), coarse quantizer trained by k-means
             on ``--train`` sampled vectors; nprobe 8/16/32/64.
- ``ivfpq``  IndexIVFPQ on the same coarse quantizer (48 sub-quantizers x 8 bits = 48 bytes
             per vector, PQ trained on 32,768 residuals), top ``--rerank`` x 10 candidates
             re-scored exactly against the float vectors (the catalog index keeps them in
             ``vectors.npy`` anyway).
- ``builder`` what ``catalog_index`` itself builds for the size (flat / HNSW / IVFFlat with its
             own nlist, training sample and nprobe), searched through ``CatalogIndex.search``;
             ``--index-type`` forces a type as ``python -m catalog_index.build`` does.

Searches are single-threaded (the action server searches one query at a time); index
builds use ``--build-threads`` (2). ``--json`` writes every row to a file.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import Callable

import faiss
import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from catalog_index.index import (  # noqa: E402
    HNSW_EF_CONSTRUCTION,
    HNSW_EF_SEARCH,
    HNSW_M,
    INDEX_TYPES,
    CatalogIndex,
    resolve_index_type,
)
from catalog_index.storage import default_index_dir  # noqa: E402
from harness.machine import describe_machine  # noqa: E402
from shop.stats import percentile  # noqa: E402

K = 10
NOISE = 0.025  # per dimension; noise norm ~0.5, cosine to the source product ~0.9
MIX_NEIGHBOURS = 20  # the second product of a mix is one of the first's 20 nearest
CHUNK = 100_000
PQ_M, PQ_NBITS = 48, 8

ROWS: list[dict] = []


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def synth(
    base: np.ndarray, n: int, rng: np.random.Generator, variant: str = "easy", noise: float = NOISE
) -> np.ndarray:
    """``n`` synthetic unit vectors derived from the real product vectors ``base``."""
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    if variant == "mix":
        sims = base @ base.T
        np.fill_diagonal(sims, -np.inf)
        near = np.argsort(-sims, axis=1)[:, :MIX_NEIGHBOURS]
    for s in range(0, n, CHUNK):
        e = min(n, s + CHUNK)
        a = rng.integers(0, len(base), e - s)
        src = base[a]
        if variant == "mix":
            b = near[a, rng.integers(0, MIX_NEIGHBOURS, e - s)]
            w = rng.random((e - s, 1), dtype=np.float32)
            src = _unit(w * src + (1 - w) * base[b])
        elif variant != "easy":
            raise ValueError(f"unknown variant {variant!r}")
        x = src + rng.normal(0, noise, src.shape).astype(np.float32)
        out[s:e] = _unit(x)
    return out


def exact(xb: np.ndarray, q: np.ndarray) -> np.ndarray:
    s = xb @ q
    top = np.argpartition(-s, K)[:K]
    return top[np.argsort(-s[top])]


def timed(fn: Callable, queries: np.ndarray) -> tuple[list[float], list[np.ndarray]]:
    times, results = [], []
    for q in queries:
        t = time.perf_counter()
        results.append(fn(q))
        times.append(time.perf_counter() - t)
    return times, results


def ms(ts: list[float], p: float) -> float:
    return percentile(ts, p) * 1000


def recall_at_k(res: list[np.ndarray], truth: list[np.ndarray]) -> float:
    return float(
        np.mean([len(set(r.tolist()) & set(t.tolist())) / K for r, t in zip(res, truth, strict=True)])
    )


def exact_baseline(name: str, xb: np.ndarray, queries: np.ndarray) -> tuple[list[float], list[np.ndarray]]:
    with threadpool_limits(limits=1, user_api="blas"):
        exact(xb, queries[0])
        t_exact, truth = timed(lambda q: exact(xb, q), queries)
    nn = np.array([[float(xb[t[0]] @ q), float(xb[t[-1]] @ q)] for t, q in zip(truth, queries, strict=True)])
    print(
        f"[{name}] n={len(xb):,} exact numpy  p50 {ms(t_exact, 50):7.2f} ms  p95 {ms(t_exact, 95):7.2f} ms  "
        f"(median cosine of query to 1st/10th neighbour {np.median(nn[:, 0]):.3f}/{np.median(nn[:, 1]):.3f})",
        flush=True,
    )
    ROWS.append(
        {
            "set": name,
            "n": len(xb),
            "index": "exact numpy (matvec + argpartition)",
            "build_s": 0.0,
            "p50_ms": ms(t_exact, 50),
            "p95_ms": ms(t_exact, 95),
            "recall": 1.0,
            "speedup": 1.0,
        }
    )
    return t_exact, truth


def measure(
    name: str,
    n: int,
    label: str,
    search: Callable,
    queries: np.ndarray,
    t_exact: list[float],
    truth,
    build_s: float,
) -> None:
    search(queries[0])
    ts, res = timed(search, queries)
    recall = recall_at_k(res, truth)
    speed = ms(t_exact, 50) / ms(ts, 50)
    print(
        f"[{name}] {label:38s} p50 {ms(ts, 50):7.2f} ms  p95 {ms(ts, 95):7.2f} ms  "
        f"recall@10 {recall:.3f}  speed x{_ratio(speed)} vs numpy (p50)",
        flush=True,
    )
    ROWS.append(
        {
            "set": name,
            "n": n,
            "index": label,
            "build_s": round(build_s, 1),
            "p50_ms": ms(ts, 50),
            "p95_ms": ms(ts, 95),
            "recall": recall,
            "speedup": speed,
        }
    )


def faiss_search(index: faiss.Index, params: faiss.SearchParameters | None = None) -> Callable:
    def search(q: np.ndarray) -> np.ndarray:
        return index.search(q.reshape(1, -1), K, params=params)[1][0]

    return search


def build_hnsw(xb: np.ndarray, ef_c: int) -> tuple[faiss.Index, float]:
    index = faiss.IndexHNSWFlat(xb.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = ef_c
    t = time.perf_counter()
    for s in range(0, len(xb), CHUNK):
        index.add(xb[s : s + CHUNK])
        if len(xb) > CHUNK:
            print(
                f"  HNSW add {min(len(xb), s + CHUNK):,}/{len(xb):,}: {time.perf_counter() - t:.0f}s",
                flush=True,
            )
    build = time.perf_counter() - t
    print(f"  HNSW M={HNSW_M} efConstruction={ef_c} build: {build:.1f}s", flush=True)
    return index, build


def train_quantizer(
    xb: np.ndarray, nlist: int, n_train: int, niter: int
) -> tuple[faiss.Index, np.ndarray, float]:
    """Coarse quantizer trained by k-means on a sample, and every vector's list number."""
    d = xb.shape[1]
    t = time.perf_counter()
    sample = xb[np.sort(np.random.default_rng(1).choice(len(xb), min(len(xb), n_train), replace=False))]
    km = faiss.Kmeans(d, nlist, niter=niter, spherical=True, seed=1, max_points_per_centroid=1 << 30)
    km.train(sample)
    quant = faiss.IndexFlatIP(d)
    quant.add(km.centroids)
    t_train = time.perf_counter() - t
    assign = np.empty(len(xb), dtype=np.int64)
    for s in range(0, len(xb), CHUNK):
        assign[s : s + CHUNK] = quant.search(xb[s : s + CHUNK], 1)[1][:, 0]
    t_all = time.perf_counter() - t
    sizes = np.bincount(assign, minlength=nlist)
    print(
        f"  coarse quantizer nlist={nlist}: k-means ({niter} iterations) on {len(sample):,} vectors "
        f"{t_train:.1f}s, assigning {len(xb):,} vectors {t_all - t_train:.1f}s; "
        f"list sizes p50 {np.median(sizes):.0f} max {sizes.max()} empty {(sizes == 0).sum()}",
        flush=True,
    )
    return quant, assign, t_all


def build_ivf_flat(xb: np.ndarray, quant: faiss.Index, assign: np.ndarray) -> tuple[faiss.Index, float]:
    from faiss.contrib.ivf_tools import add_preassigned

    index = faiss.IndexIVFFlat(quant, xb.shape[1], quant.ntotal, faiss.METRIC_INNER_PRODUCT)
    index.is_trained = True
    t = time.perf_counter()
    for s in range(0, len(xb), CHUNK):
        add_preassigned(index, xb[s : s + CHUNK], assign[s : s + CHUNK])
    build = time.perf_counter() - t
    print(f"  IVFFlat add: {build:.1f}s", flush=True)
    return index, build


def build_ivf_pq(
    xb: np.ndarray, quant: faiss.Index, assign: np.ndarray, n_train: int
) -> tuple[faiss.Index, float]:
    from faiss.contrib.ivf_tools import add_preassigned

    index = faiss.IndexIVFPQ(quant, xb.shape[1], quant.ntotal, PQ_M, PQ_NBITS, faiss.METRIC_INNER_PRODUCT)
    t = time.perf_counter()
    # The quantizer is trained already (ntotal == nlist), so train() only fits the PQ on
    # residuals: 48 k-means of 256 centroids in 8 dimensions, 128 points a centroid is plenty.
    index.train(xb[np.random.default_rng(2).choice(len(xb), min(len(xb), n_train), replace=False)])
    for s in range(0, len(xb), CHUNK):
        add_preassigned(index, xb[s : s + CHUNK], assign[s : s + CHUNK])
    build = time.perf_counter() - t
    print(f"  IVFPQ m={PQ_M}x{PQ_NBITS}bit train+add (quantizer shared): {build:.1f}s", flush=True)
    return index, build


def rerank_search(
    index: faiss.Index, xb: np.ndarray, params: faiss.SearchParameters, k_cand: int
) -> Callable:
    def search(q: np.ndarray) -> np.ndarray:
        cand = index.search(q.reshape(1, -1), k_cand, params=params)[1][0]
        cand = cand[cand >= 0]
        s = xb[cand] @ q
        top = np.argpartition(-s, K)[:K] if len(s) > K else np.arange(len(s))
        return cand[top[np.argsort(-s[top])]]

    return search


def run_size(args: argparse.Namespace, base: np.ndarray, size: str, variant: str) -> None:
    rng = np.random.default_rng({"easy": 0, "mix": 10}[variant])
    q_rng = np.random.default_rng({"easy": 100, "mix": 110}[variant])
    if size == "demo":
        if variant != "easy":
            return
        queries = synth(base, args.queries, q_rng, variant, args.noise)
        flat = faiss.IndexFlatIP(base.shape[1])
        flat.add(base)
        t_exact, truth = exact_baseline("demo", base, queries)
        measure(
            "demo",
            len(base),
            "IndexFlatIP (exact, used < 20k)",
            faiss_search(flat),
            queries,
            t_exact,
            truth,
            0,
        )
        return
    n = int(size)
    name = f"{n:,} {variant}" + (f" noise {args.noise:g}" if args.noise != NOISE else "")
    t = time.perf_counter()
    xb = synth(base, n, rng, variant, args.noise)
    queries = synth(base, args.queries, q_rng, variant, args.noise)
    print(f"[{name}] synthesised in {time.perf_counter() - t:.1f}s", flush=True)
    t_exact, truth = exact_baseline(name, xb, queries)
    kinds = (
        args.kinds.split(",") if args.kinds != "auto" else (["hnsw"] if n <= 200_000 else ["ivf", "ivfpq"])
    )
    faiss.omp_set_num_threads(args.build_threads)
    if "builder" in kinds:
        t = time.perf_counter()
        ci = CatalogIndex(np.arange(n), xb, index_type=resolve_index_type(n, args.index_type))
        build = time.perf_counter() - t
        faiss.omp_set_num_threads(1)
        label = f"builder: {ci.index_type}" + {
            "ivf": f" nlist={ci.nlist} nprobe={ci.nprobe}",
            "hnsw": f" M={HNSW_M} efC={HNSW_EF_CONSTRUCTION} efSearch={HNSW_EF_SEARCH}",
        }.get(ci.index_type, "")
        print(f"  {label} build: {build:.1f}s", flush=True)

        def builder_search(q: np.ndarray) -> np.ndarray:
            return np.array([pid for pid, _ in ci.search(q, K)], dtype=np.int64)

        measure(name, n, label, builder_search, queries, t_exact, truth, build)
        del ci
        gc.collect()
    if "flat" in kinds:
        flat = faiss.IndexFlatIP(xb.shape[1])
        flat.add(xb)
        faiss.omp_set_num_threads(1)
        measure(name, n, "IndexFlatIP (exact)", faiss_search(flat), queries, t_exact, truth, 0)
        del flat
    if "hnsw" in kinds:
        faiss.omp_set_num_threads(args.build_threads)
        ef_c = args.hnsw_efc or (HNSW_EF_CONSTRUCTION if n <= 200_000 else 40)
        h, build = build_hnsw(xb, ef_c)
        faiss.omp_set_num_threads(1)
        for ef in (64, 128, 256):
            params = faiss.SearchParametersHNSW(efSearch=ef)
            label = f"HNSW M={HNSW_M} efC={ef_c} efSearch={ef}"
            measure(name, n, label, faiss_search(h, params), queries, t_exact, truth, build)
        del h
        gc.collect()
    if "ivf" in kinds or "ivfpq" in kinds:
        faiss.omp_set_num_threads(args.build_threads)
        quant, assign, t_quant = train_quantizer(xb, args.nlist, args.train, args.niter)
        if "ivf" in kinds:
            faiss.omp_set_num_threads(args.build_threads)
            iv, build = build_ivf_flat(xb, quant, assign)
            faiss.omp_set_num_threads(1)
            for nprobe in (8, 16, 32, 64):
                params = faiss.SearchParametersIVF(nprobe=nprobe)
                label = f"IVFFlat nlist={args.nlist} nprobe={nprobe}"
                measure(name, n, label, faiss_search(iv, params), queries, t_exact, truth, t_quant + build)
            del iv
            gc.collect()
        if "ivfpq" in kinds:
            faiss.omp_set_num_threads(args.build_threads)
            pq, build = build_ivf_pq(xb, quant, assign, min(args.train, 32_768))
            faiss.omp_set_num_threads(1)
            k_cand = K * args.rerank
            for nprobe in (16, 32, 64):
                params = faiss.SearchParametersIVF(nprobe=nprobe)
                label = f"IVFPQ{PQ_M} nprobe={nprobe} + rerank {k_cand}"
                measure(
                    name,
                    n,
                    label,
                    rerank_search(pq, xb, params, k_cand),
                    queries,
                    t_exact,
                    truth,
                    t_quant + build,
                )
            del pq
            gc.collect()
    del xb
    gc.collect()


def _ratio(x: float) -> str:
    return f"{x:.1f}" if x < 10 else f"{x:.0f}"


def print_table() -> None:
    print("\n| set | index | build | p50 | p95 | recall@10 | speed-up vs numpy (p50) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in ROWS:
        build = f"{r['build_s']:.0f} s" if r["build_s"] else "-"
        print(
            f"| {r['set']} | {r['index']} | {build} | {r['p50_ms']:.2f} ms | {r['p95_ms']:.2f} ms | "
            f"{r['recall']:.3f} | {_ratio(r['speedup'])}x |"
        )


def machine() -> dict:
    return {**describe_machine(), "loadavg": os.getloadavg(), "faiss": faiss.__version__}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=default_index_dir(), help="folder with vectors.npy")
    ap.add_argument("--sizes", default="demo,100000")
    ap.add_argument("--million", action="store_true", help="also run 1M vectors")
    ap.add_argument("--variants", default="easy", help="easy,mix")
    ap.add_argument("--kinds", default="auto", help="auto or any of flat,hnsw,ivf,ivfpq,builder")
    ap.add_argument(
        "--index-type", default="auto", choices=("auto", *INDEX_TYPES), help="builder: force a type"
    )
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--noise", type=float, default=NOISE, help="Gaussian sigma per dimension")
    ap.add_argument("--hnsw-efc", type=int, default=0)
    ap.add_argument("--nlist", type=int, default=4096)
    ap.add_argument("--train", type=int, default=102_400, help="k-means training sample (PQ: at most 32,768)")
    ap.add_argument("--niter", type=int, default=10, help="k-means iterations")
    ap.add_argument("--rerank", type=int, default=10, help="IVFPQ: re-score rerank x 10 candidates")
    ap.add_argument("--build-threads", type=int, default=2)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    faiss.omp_set_num_threads(1)  # single-query latency; the action server searches one at a time
    base = np.load(args.index / "vectors.npy").astype(np.float32)
    info = machine()
    print(f"machine: {info}; {len(base):,} real product vectors from {args.index}", flush=True)
    t0 = time.perf_counter()
    sizes = args.sizes.split(",") + (["1000000"] if args.million else [])
    for size in sizes:
        for variant in args.variants.split(","):
            run_size(args, base, size, variant)
    print_table()
    info_end = machine()
    print(
        f"\nload average at start {info['loadavg']}, at end {info_end['loadavg']}; "
        f"total {time.perf_counter() - t0:.0f}s"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {"machine": info, "loadavg_end": info_end["loadavg"], "args": vars(args), "rows": ROWS},
                indent=1,
                default=str,
            )
        )


if __name__ == "__main__":
    main()
