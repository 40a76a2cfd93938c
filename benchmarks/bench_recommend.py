"""Offline recommendation quality on held-out purchases of the seeded order history.

    python benchmarks/bench_recommend.py [--url DB] [--index var/catalog_index]

Orders are split by time: the last 20% (by created_at) are held out. For every customer with
purchases on both sides, each method recommends 10 products from the customer's training
history (training items excluded); a hit is a held-out product. Co-purchase counts come from
training orders only. Methods: content (hybrid weight 0), co-purchase (weight 1, no
shrinkage), hybrid (the service defaults) and the most-popular baseline.
Reports precision@10, recall@10, catalog coverage and intra-list diversity (1 - mean
pairwise cosine of the recommended products' vectors).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from catalog_index import default_index_dir, load_index  # noqa: E402
from shop.db.models import Order, OrderItem, Product  # noqa: E402
from shop.db.session import make_engine, make_sessionmaker  # noqa: E402
from shop.ranking import CoPurchase  # noqa: E402
from shop.recommend import Recommender  # noqa: E402

K = 10


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default=None)
    ap.add_argument("--index", type=Path, default=default_index_dir())
    ap.add_argument("--holdout", type=float, default=0.2)
    ap.add_argument("--max-customers", type=int, default=400)
    ap.add_argument("--popularity", type=float, default=None, help="override the hybrid's prior")
    args = ap.parse_args()
    sf = make_sessionmaker(make_engine(args.url))
    index = load_index(args.index, sf)
    with sf() as s:
        rows = s.execute(
            select(Order.id, Order.customer_id, Order.created_at, OrderItem.product_id)
            .join(OrderItem, OrderItem.order_id == Order.id)
            .where(Order.status != "cancelled")
        ).all()
        n_products = s.query(Product).count()
    times = sorted({r.created_at for r in rows})
    cutoff = times[int(len(times) * (1 - args.holdout))]
    train_baskets: dict[int, set[int]] = defaultdict(set)
    history: dict[int, dict[int, object]] = defaultdict(dict)
    held: dict[int, set[int]] = defaultdict(set)
    for oid, cid, at, pid in rows:
        if at < cutoff:
            train_baskets[oid].add(pid)
            prev = history[cid].get(pid)
            history[cid][pid] = max(prev, at) if prev else at  # type: ignore[type-var]
        else:
            held[cid].add(pid)
    co = CoPurchase(train_baskets.values())
    eval_customers = [c for c in sorted(held) if history.get(c) and held[c] - set(history[c])]
    eval_customers = eval_customers[: args.max_customers]
    print(
        f"orders: {len(train_baskets)} train, held-out after {cutoff:%Y-%m-%d}; "
        f"{len(eval_customers)} customers evaluated; {n_products} products"
    )

    pop = {} if args.popularity is None else {"popularity_weight": args.popularity}
    methods = {
        "content": Recommender(index, sf, hybrid_weight=0.0, copurchase=co, popularity_weight=0.0),
        "co-purchase": Recommender(
            index, sf, hybrid_weight=1.0, shrinkage=0.0, copurchase=co, popularity_weight=0.0
        ),
        "hybrid": Recommender(index, sf, copurchase=co, **pop),
        "most-popular": Recommender(index, sf, copurchase=co),
    }
    eligible = methods["hybrid"].eligible_ids(None)
    for rec in methods.values():
        rec.eligible_ids = lambda filters=None: set(eligible)  # type: ignore[method-assign]

    print(f"{'method':13s} {'P@10':>7s} {'R@10':>7s} {'coverage':>9s} {'ILD':>6s} {'ms/query':>9s}")
    results = {}
    for name, rec in methods.items():
        precisions, recalls, ilds, seen = [], [], [], set()
        t0 = time.perf_counter()
        for c in eval_customers:
            items = sorted(history[c], key=lambda p: history[c][p], reverse=True)  # type: ignore[arg-type,return-value]
            weights = {p: 1.0 / (i + 1) for i, p in enumerate(items[:20])}
            if name == "most-popular":
                recs = rec.popular(K, exclude=set(history[c]))
            else:
                recs = rec.recommend_for_items(weights, K)
            got = [r.product_id for r in recs]
            truth = held[c] - set(history[c])
            hits = len(set(got) & truth)
            precisions.append(hits / K)
            recalls.append(hits / len(truth))
            seen.update(got)
            vecs = np.array([v for p in got if (v := index.vector(p)) is not None])
            if len(vecs) > 1:
                sims = vecs @ vecs.T
                n = len(vecs)
                ilds.append(1 - (sims.sum() - n) / (n * (n - 1)))
        ms = (time.perf_counter() - t0) * 1000 / max(len(eval_customers), 1)
        results[name] = float(np.mean(recalls))
        print(
            f"{name:13s} {np.mean(precisions):7.4f} {np.mean(recalls):7.4f} "
            f"{len(seen) / n_products:9.3f} {np.mean(ilds):6.3f} {ms:9.1f}"
        )
    base = results["most-popular"] or 1e-9
    for name in ("content", "co-purchase", "hybrid"):
        print(f"recall@10 {name} / most-popular: x{results[name] / base:.2f}")


if __name__ == "__main__":
    main()
