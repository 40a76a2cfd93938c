"""Query encoding p50/p95 (eager vs tf.function) and index build throughput.

    python benchmarks/bench_encoding.py [--url DB] [--queries 50] [--products 512]

The baseline (eager Keras call) is measured in the same run; ratios are eager / graph.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shop.catalog_rows import read_catalog  # noqa: E402
from shop.db.session import make_engine, make_sessionmaker  # noqa: E402
from shop.stats import percentile  # noqa: E402
from text_encoder import get_encoder  # noqa: E402

QUERIES = [
    "waterproof jacket under $80",
    "running shoes",
    "something like the nimbus but cheaper",
    "a gift for my dad",
    "warm fleece in navy",
    "what goes with this backpack",
    "merino hiking socks",
    "yoga mat",
    "lightweight tent for two",
    "kids rain boots",
]


def pct(xs: list[float], q: float) -> float:
    return percentile(xs, q) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default=None)
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--products", type=int, default=512)
    args = ap.parse_args()
    t0 = time.perf_counter()
    enc = get_encoder()
    print(f"model load: {time.perf_counter() - t0:.1f}s")
    qs = [QUERIES[i % len(QUERIES)] for i in range(args.queries)]
    enc.encode_eager(qs[:1])
    t0 = time.perf_counter()
    enc.encode_one(qs[0])
    print(f"first tf.function call (trace): {time.perf_counter() - t0:.1f}s")
    for q in QUERIES:
        enc.encode_one(q)  # warm every bucket used
    eager, graph = [], []
    for q in qs:
        t = time.perf_counter()
        enc.encode_eager([q])
        eager.append(time.perf_counter() - t)
        t = time.perf_counter()
        enc.encode_one(q)
        graph.append(time.perf_counter() - t)
    print(f"query encoding eager      p50 {pct(eager, 50):6.1f} ms  p95 {pct(eager, 95):6.1f} ms")
    print(
        f"query encoding tf.function p50 {pct(graph, 50):6.1f} ms  p95 {pct(graph, 95):6.1f} ms"
        f"  (speed-up x{pct(eager, 50) / pct(graph, 50):.1f} at p50)"
    )

    rows = read_catalog(make_sessionmaker(make_engine(args.url)))[: args.products]
    if not rows:
        print("no products in the DB; skipping build throughput")
        return
    texts = [r.text() for r in rows]
    enc.encode(texts[:64])
    t = time.perf_counter()
    enc.encode(texts, batch_size=64)
    g = time.perf_counter() - t
    n_eager = min(len(texts), 128)
    t = time.perf_counter()
    for i in range(0, n_eager, 32):
        enc.encode_eager(texts[i : i + 32])
    e = time.perf_counter() - t
    print(
        f"build throughput (tf.function, length-sorted buckets, batch 64): {len(texts) / g:6.1f} products/s"
    )
    print(
        f"build throughput (eager, batch 32, padded to longest):        {n_eager / e:6.1f} products/s"
        f"  (ratio x{(len(texts) / g) / (n_eager / e):.2f})"
    )


if __name__ == "__main__":
    main()
