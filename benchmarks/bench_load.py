"""Load benchmark: turn latency and throughput at rising concurrency, loopback only.

Starts the production configuration (PostgreSQL order DB + tracker store, Redis lock store,
one action server, ``--replicas`` Rasa servers) and measures, at each concurrency level,
three kinds of turn in the same run:

* ``bare``            - "hello" -> utter_greet: Rasa alone, no custom action;
* ``order_status``    - "where is my order #N?" in a verified conversation: form
                        validation + action_order_status against the order DB;
* ``recommendation``  - "can you suggest a waterproof jacket under $80" ->
                        action_recommend_products: free-text search over the FAISS catalog
                        index + catalog DB, answered with a numbered list and a carousel. A
                        reply without a product list (no carousel with at least one product)
                        counts as an error.

The action server gets a catalog index built from (or checked against) the cluster's seeded
order DB by ``harness.stack.prepare_catalog_index``, in ``var/bench_catalog_index`` and
``var/bench_spacy_catalog`` unless ``CATALOG_INDEX_DIR`` / ``SPACY_CATALOG_DIR`` are set, so
a rebuild never touches the test suite's index.

Every level is bounded: ``--turns`` per worker and ``--max-seconds`` overall.

    .venv/bin/python benchmarks/bench_load.py --levels 1,5,10,20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.cluster import start_cluster  # noqa: E402
from harness.machine import describe_machine  # noqa: E402
from harness.scaleout import LOAD_TEST_ENV  # noqa: E402
from harness.stack import prepare_catalog_index  # noqa: E402
from shop.seed.demo import DEMO_ORDERS  # noqa: E402
from shop.stats import summary  # noqa: E402

ORDERS = ("shipped", "delivered_recent", "processing", "pending", "delivered_old", "cancelled")
RECOMMEND_TEXT = "can you suggest a waterproof jacket under $80"
BENCH_INDEX_DIR = ROOT / "var" / "bench_catalog_index"
BENCH_SPACY_DIR = ROOT / "var" / "bench_spacy_catalog"
# What a turn must answer: a substring of the reply's text, or a check on the raw replies.
Expect = Any


@dataclass
class Stats:
    kind: str
    concurrency: int
    latencies: List[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    def row(self) -> Dict[str, Any]:
        lat = summary(self.latencies)
        return {
            "kind": self.kind,
            "concurrency": self.concurrency,
            "turns": lat.n,
            "errors": self.errors,
            **lat.scaled(1000, 1, "_ms"),
            "turns_per_s": round(lat.n / self.seconds, 1) if self.seconds else 0.0,
        }


class Client:
    def __init__(self, session: aiohttp.ClientSession, urls: Sequence[str]) -> None:
        self.session = session
        self.urls = urls

    async def say(self, worker: int, sender: str, text: str) -> List[Dict[str, Any]]:
        url = self.urls[worker % len(self.urls)]
        async with self.session.post(
            f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
        ) as resp:
            resp.raise_for_status()
            return list(await resp.json())


def said(replies: List[Dict[str, Any]]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def product_list(replies: List[Dict[str, Any]]) -> bool:
    """True if the replies hold a carousel with at least one product (action_recommend_products)."""
    for r in replies:
        custom = r.get("custom")
        if isinstance(custom, dict) and custom.get("type") == "carousel" and custom.get("products"):
            return True
    return False


def answered(replies: List[Dict[str, Any]], expect: Expect) -> bool:
    return expect(replies) if callable(expect) else expect in said(replies)


async def measure(
    client: Client,
    kind: str,
    concurrency: int,
    turns: int,
    deadline: float,
    prepare: Callable[[int, str], Any],
    turn: Callable[[int], tuple[str, Expect]],
    run_id: str,
) -> Stats:
    """``concurrency`` workers, each in its own conversation, ``turns`` measured turns each."""
    stats = Stats(kind, concurrency)
    senders = [f"bench-{run_id}-{kind}-{concurrency}-{w}" for w in range(concurrency)]
    await asyncio.gather(*(prepare(w, s) for w, s in enumerate(senders)))

    async def worker(w: int) -> None:
        for _ in range(turns):
            if time.monotonic() > deadline:
                return
            text, expect = turn(w)
            started = time.perf_counter()
            try:
                replies = await client.say(w, senders[w], text)
                ok = answered(replies, expect)
            except (aiohttp.ClientError, asyncio.TimeoutError):
                ok = False
            if ok:
                stats.latencies.append(time.perf_counter() - started)
            else:
                stats.errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    stats.seconds = time.perf_counter() - started
    return stats


def has_recommendation_action() -> Optional[str]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    actions = [a for a in domain.get("actions", []) if "recommend" in a]
    return actions[0] if actions else None


async def run(urls: Sequence[str], levels: Sequence[int], turns: int, max_seconds: float) -> List[Stats]:
    deadline = time.monotonic() + max_seconds
    run_id = str(int(time.time()))
    results: List[Stats] = []
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=64)) as session:
        client = Client(session, urls)

        def order(w: int) -> tuple[str, str]:
            return DEMO_ORDERS[ORDERS[w % len(ORDERS)]]

        async def no_prep(w: int, sender: str) -> None:
            return None

        async def verify(w: int, sender: str) -> None:
            number, email = order(w)
            await client.say(w, sender, f"where is my order #{number}?")
            reply = said(await client.say(w, sender, email))
            if f"Order #{number}" not in reply:
                raise RuntimeError(f"could not verify {sender}: {reply!r}")

        # Warm up both replicas and the action server (order DB, catalog index and query
        # encoder) outside the measurement.
        recommend = has_recommendation_action()
        for w in range(len(urls)):
            await verify(w, f"bench-{run_id}-warmup-{w}")
            if recommend:
                replies = await client.say(w, f"bench-{run_id}-warmup-rec-{w}", RECOMMEND_TEXT)
                if not product_list(replies):
                    raise RuntimeError(f"recommendation warm-up got no product list: {replies!r}")
        for level in levels:
            results.append(
                await measure(
                    client, "bare", level, turns, deadline, no_prep, lambda w: ("hello", "assistant"), run_id
                )
            )
            results.append(
                await measure(
                    client,
                    "order_status",
                    level,
                    turns,
                    deadline,
                    verify,
                    lambda w: (f"where is my order #{order(w)[0]}?", f"Order #{order(w)[0]}"),
                    run_id,
                )
            )
            if recommend:
                results.append(
                    await measure(
                        client,
                        "recommendation",
                        level,
                        turns,
                        deadline,
                        no_prep,
                        lambda w: (RECOMMEND_TEXT, product_list),
                        run_id,
                    )
                )
    return results


def machine() -> Dict[str, Any]:
    """The machine this run measured (printed with the figures)."""
    return describe_machine()


def table(rows: List[Dict[str, Any]]) -> str:
    head = "| kind | concurrency | turns | errors | p50 ms | p95 ms | p99 ms | turns/s |"
    lines = [head, "|" + "---|" * 8]
    for r in rows:
        lines.append(
            f"| {r['kind']} | {r['concurrency']} | {r['turns']} | {r['errors']} | {r['p50_ms']} | "
            f"{r['p95_ms']} | {r['p99_ms']} | {r['turns_per_s']} |"
        )
    return "\n".join(lines)


def ratios(rows: List[Dict[str, Any]]) -> List[str]:
    out = []
    by = {(r["kind"], r["concurrency"]): r for r in rows}
    for (kind, level), r in by.items():
        bare = by.get(("bare", level))
        if kind != "bare" and bare and bare["p50_ms"] and bare["turns_per_s"]:
            out.append(
                f"concurrency {level}: {kind} p50 = {r['p50_ms'] / bare['p50_ms']:.1f}x bare, "
                f"throughput = {r['turns_per_s'] / bare['turns_per_s']:.2f}x bare"
            )
    return out


def catalog_env(env: Dict[str, str]) -> None:
    """Give the action server a catalog index matching the cluster's seeded catalog."""
    env.setdefault("CATALOG_INDEX_DIR", str(BENCH_INDEX_DIR))
    env.setdefault("SPACY_CATALOG_DIR", str(BENCH_SPACY_DIR))
    prepare_catalog_index(env)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,5,10,20", help="comma-separated concurrency levels")
    parser.add_argument("--turns", type=int, default=10, help="measured turns per worker and kind")
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--max-seconds", type=float, default=600.0)
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    if not levels or max(levels) > 64 or args.turns > 100 or args.max_seconds > 1800:
        parser.error("bounded benchmark: levels <= 64, --turns <= 100, --max-seconds <= 1800")
    print(f"machine: {machine()}", flush=True)
    cluster = start_cluster(replicas=args.replicas, extra_env=LOAD_TEST_ENV, prepare_env=catalog_env)
    try:
        results = asyncio.run(run(cluster.rasa_urls, levels, args.turns, args.max_seconds))
    finally:
        cluster.stop()
    rows = [s.row() for s in results]
    print(table(rows))
    if not has_recommendation_action():
        print("recommendation: not measured (no recommendation action in domain.yml yet)")
    for line in ratios(rows):
        print(line)
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2))
    return 0 if all(r["errors"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
