"""Time the review console's conversation list over 100,000 generated conversations.

Generates summary rows (and their facets and tags) straight into a fresh console DB, then runs
the list query with typical filters and prints p50/p95 per filter. Deterministic data (seeded
RNG); timings depend on the machine.

    .venv/bin/python benchmarks/bench_console_list.py [--conversations 100000] [--runs 40] [--db URL]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from console import db  # noqa: E402
from console.conversations import ConversationFilter, list_conversations  # noqa: E402
from shop.stats import percentile  # noqa: E402

INTENTS = [
    "greet",
    "order_status",
    "cancel_order",
    "return_item",
    "return_status",
    "faq",
    "product_question",
    "recommend_product",
    "apply_coupon",
    "ask_discounts",
    "inform",
    "human_handoff",
    "thank_you",
    "goodbye",
]
ACTIONS = [
    "order_status_form",
    "action_order_status",
    "action_cancel_order",
    "return_form",
    "action_handoff",
    "utter_greet",
    "action_two_stage_fallback",
    "action_recommend",
    "utter_goodbye",
]
ENTITIES = ["order_id", "email", "product", "brand", "color", "size", "coupon_code"]
CHANNELS = ["socketio", "socketio", "socketio", "telegram", "rest"]
WORDS = "order parcel refund jacket shoes size blue coupon late broken return where when price".split()


def generate(engine, n: int, seed: int = 7) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    start = datetime(2024, 1, 1)
    convs, facets, tags = [], [], []
    for i in range(n):
        sender = f"bench-{i:06d}"
        began = start + timedelta(seconds=rng.randint(0, 180 * 86400))
        intents = rng.sample(INTENTS, rng.randint(1, 4))
        fallback = rng.random() < 0.12
        handoff = rng.random() < 0.05
        convs.append(
            {
                "sender_id": sender,
                "channel": rng.choice(CHANNELS),
                "started_at": began,
                "last_at": began + timedelta(seconds=rng.randint(5, 900)),
                "turns": rng.randint(1, 12),
                "events": rng.randint(4, 60),
                "min_confidence": round(rng.uniform(0.1, 1.0), 3),
                "fallback": fallback,
                "fallback_count": rng.randint(1, 3) if fallback else 0,
                "handoff": handoff,
                "paused": False,
                "last_intent": intents[-1],
                "last_action": rng.choice(ACTIONS),
                "slots": "{}",
                "search_text": " ".join(rng.choices(WORDS, k=rng.randint(3, 25))),
                "review_status": rng.choice(["unread", "unread", "unread", "reviewed", "saved"]),
            }
        )
        facets += [{"sender_id": sender, "kind": "intent", "value": v, "count": 1} for v in intents]
        facets += [
            {"sender_id": sender, "kind": "action", "value": v, "count": 1} for v in rng.sample(ACTIONS, 2)
        ]
        facets += [
            {"sender_id": sender, "kind": "entity", "value": v, "count": 1}
            for v in rng.sample(ENTITIES, rng.randint(0, 2))
        ]
        if rng.random() < 0.3:
            facets.append(
                {
                    "sender_id": sender,
                    "kind": "slot",
                    "value": f"order_id={rng.randint(100000, 999999)}",
                    "count": 1,
                }
            )
        if rng.random() < 0.05:
            tags.append({"sender_id": sender, "tag": rng.choice(["late-parcel", "bug", "pricing"])})
    with engine.begin() as conn:
        for i in range(0, len(convs), 20000):
            conn.execute(insert(db.conversations), convs[i : i + 20000])
        for i in range(0, len(facets), 50000):
            conn.execute(insert(db.facets), facets[i : i + 50000])
        if tags:
            conn.execute(insert(db.tags), tags)
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("ANALYZE")


CASES = {
    "no filter, newest first": {},
    "channel=telegram": {"channel": "telegram"},
    "fallback=yes": {"fallback": "yes"},
    "intent=cancel_order": {"intent": "cancel_order"},
    "intent + fallback + date range": {
        "intent": "order_status",
        "fallback": "yes",
        "date_from": "2024-03-01",
        "date_to": "2024-03-31",
    },
    "entity=coupon_code, lowest confidence": {"entity": "coupon_code", "sort": "confidence"},
    "max_conf=0.3, lowest confidence": {"max_conf": "0.3", "sort": "confidence"},
    "slot order_id=<value>": {"slot": "order_id=123456"},
    "tag=bug": {"tag": "bug"},
    "review=unread + handoff=yes": {"review": "unread", "handoff": "yes"},
    "free text 'refund'": {"q": "refund"},
    "free text, no match": {"q": "zzzz"},
    "page 20 of channel=socketio": {"channel": "socketio", "page": "20"},
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--conversations", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--db", default="")
    args = ap.parse_args()
    url = args.db or f"sqlite:///{tempfile.mkdtemp(prefix='console-bench-')}/console.db"
    engine = db.make_engine(url)
    db.ensure_schema(engine)
    t0 = time.perf_counter()
    generate(engine, args.conversations)
    took = time.perf_counter() - t0
    print(f"generated {args.conversations:,} conversations in {took:.1f}s ({engine.dialect.name})")
    print(f"{'filter':42s} {'p50 ms':>8s} {'p95 ms':>8s} {'rows':>5s}")
    for name, query in CASES.items():
        flt = ConversationFilter.from_query(query)
        timings = []
        rows: list = []
        for _ in range(args.runs):
            t = time.perf_counter()
            rows, _more = list_conversations(engine, flt, 50)
            timings.append((time.perf_counter() - t) * 1000)
        print(f"{name:42s} {percentile(timings, 50):8.1f} {percentile(timings, 95):8.1f} {len(rows):5d}")
    engine.dispose()


if __name__ == "__main__":
    main()
