"""FAISS search p50/p95 and recall@10 against exact numpy search, with the speed ratio.

    python benchmarks/bench_faiss.py [--index var/catalog_index] [--sizes demo,100000] [--million]

Large sets are synthetic: real product embeddings plus small Gaussian noise, renormalised.
Queries are other perturbations of real products. Exact search (numpy matmul + argpartition)
is the baseline, measured in the same run on the same queries.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import faiss
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from catalog_index.index import HNSW_EF_CONSTRUCTION, HNSW_M, default_index_dir  # noqa: E402

K = 10
NOISE = 0.025  # per dimension; noise norm ~0.5, cosine to the source product ~0.9


def synth(base: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    for s in range(0, n, 100_000):
        e = min(n, s + 100_000)
        src = base[rng.integers(0, len(base), e - s)]
        x = src + rng.normal(0, NOISE, src.shape).astype(np.float32)
        out[s:e] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def exact(xb: np.ndarray, q: np.ndarray) -> np.ndarray:
    s = xb @ q
    top = np.argpartition(-s, K)[:K]
    return top[np.argsort(-s[top])]


def timed(fn, queries) -> tuple[list[float], list[np.ndarray]]:
    times, results = [], []
    for q in queries:
        t = time.perf_counter()
        results.append(fn(q))
        times.append(time.perf_counter() - t)
    return times, results


def ms(ts: list[float], p: float) -> float:
    return float(np.percentile(np.array(ts) * 1000, p))


def run(name: str, xb: np.ndarray, queries: np.ndarray, kinds: list[tuple[str, faiss.Index]]) -> None:
    t_exact, truth = timed(lambda q: exact(xb, q), queries)
    print(f"[{name}] n={len(xb):,} exact numpy  p50 {ms(t_exact, 50):7.2f} ms  p95 {ms(t_exact, 95):7.2f} ms")
    for label, index in kinds:

        def search(q: np.ndarray, index: faiss.Index = index) -> np.ndarray:
            return index.search(q.reshape(1, -1), K)[1][0]

        search(queries[0])
        ts, res = timed(search, queries)
        recall = np.mean(
            [len(set(r.tolist()) & set(t.tolist())) / K for r, t in zip(res, truth, strict=True)]
        )
        print(
            f"[{name}] {label:34s} p50 {ms(ts, 50):7.2f} ms  p95 {ms(ts, 95):7.2f} ms  "
            f"recall@10 {recall:.3f}  speed x{ms(t_exact, 50) / ms(ts, 50):.0f} vs numpy (p50)"
        )


def hnsw(xb: np.ndarray, ef_c: int) -> faiss.Index:
    index = faiss.IndexHNSWFlat(xb.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = ef_c
    t = time.perf_counter()
    index.add(xb)
    print(f"  HNSW M={HNSW_M} efConstruction={ef_c} build: {time.perf_counter() - t:.1f}s")
    return index


def ivf(xb: np.ndarray, nlist: int) -> faiss.Index:
    quant = faiss.IndexFlatIP(xb.shape[1])
    index = faiss.IndexIVFFlat(quant, xb.shape[1], nlist, faiss.METRIC_INNER_PRODUCT)
    t = time.perf_counter()
    index.train(xb[np.random.default_rng(1).choice(len(xb), min(len(xb), 40 * nlist), replace=False)])
    index.add(xb)
    print(f"  IVFFlat nlist={nlist} train+add: {time.perf_counter() - t:.1f}s")
    return index


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=default_index_dir())
    ap.add_argument("--sizes", default="demo,100000")
    ap.add_argument("--million", action="store_true", help="also run 1M vectors (slow build)")
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    faiss.omp_set_num_threads(1)  # single-query latency; the action server searches one at a time
    base = np.load(args.index / "vectors.npy").astype(np.float32)
    rng = np.random.default_rng(0)
    queries = synth(base, args.queries, rng)
    sizes = args.sizes.split(",") + (["1000000"] if args.million else [])
    for size in sizes:
        if size == "demo":
            flat = faiss.IndexFlatIP(base.shape[1])
            flat.add(base)
            run("demo", base, queries, [("IndexFlatIP (exact, used < 20k)", flat)])
            continue
        n = int(size)
        xb = synth(base, n, rng)
        kinds: list[tuple[str, faiss.Index]] = []
        h = hnsw(xb, HNSW_EF_CONSTRUCTION if n <= 200_000 else 40)
        for ef in (64, 128, 256):
            h2 = faiss.downcast_index(h)
            h2.hnsw.efSearch = ef
            kinds.append((f"HNSW efSearch={ef}", _Fixed(h, ef)))
        if n >= 1_000_000:
            iv = ivf(xb, 4096)
            for nprobe in (16, 32, 64):
                kinds.append((f"IVFFlat nlist=4096 nprobe={nprobe}", _Probe(iv, nprobe)))
        run(f"{n:,}", xb, queries, kinds)


class _Fixed:
    """An HNSW index searched with a fixed efSearch (faiss index objects share state)."""

    def __init__(self, index: faiss.Index, ef: int) -> None:
        self.index, self.params = index, faiss.SearchParametersHNSW(efSearch=ef)

    def search(self, q: np.ndarray, k: int):  # noqa: ANN201
        return self.index.search(q, k, params=self.params)


class _Probe:
    def __init__(self, index: faiss.Index, nprobe: int) -> None:
        self.index, self.params = index, faiss.SearchParametersIVF(nprobe=nprobe)

    def search(self, q: np.ndarray, k: int):  # noqa: ANN201
        return self.index.search(q, k, params=self.params)


if __name__ == "__main__":
    main()
