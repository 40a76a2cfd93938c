"""The recommendation turn's cost in-process (issue 13): ``action_recommend_products`` and its parts.

    .venv/bin/python benchmarks/bench_recommend_turn.py [--base /tmp/HA-base] [--calls 200]

Runs ``action_recommend_products`` (a fake tracker, the action's own code, the real index and
demo DB) and ``Recommender.search_message`` many times each in a fresh subprocess per code
tree: this checkout and, with ``--base``, another one (e.g. ``git worktree add /tmp/HA-base
<commit>``), both on the same DB and index, alternating tree by tree ``--rounds`` times.
Prints for each tree and case p50/p95 wall ms per call and CPU ms per call (the process's
CPU time over the calls: trustworthy on a shared machine where wall time is not), the MiniLM
query encoding alone, the machine's load average, and whether every tree answered every
case with the same messages (text and carousel, byte for byte).

Cases: a free-text search as in the crowd benchmark (``I'm looking for a waterproof jacket``,
anonymous and by a verified customer), a filtered search, and personal picks for a verified
customer. ``--profile`` prints cProfile's top functions of the search for this tree.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parent.parent

CASES = {
    "search, anonymous": ("I'm looking for a waterproof jacket", None),
    "search, verified": ("I'm looking for a waterproof jacket", 1),
    "filtered search": ("red running shoes under $120 in size 10", None),
    "personal, verified": ("recommend something for me", 1),
}
SEARCH_TEXT = "I'm looking for a waterproof jacket"


def _tracker(text: str, customer: int | None) -> Any:
    from rasa_sdk import Tracker

    parse = {"text": text, "intent": {"name": "recommend_products"}, "entities": []}
    events: List[Dict[str, Any]] = []
    slots: Dict[str, Any] = {}
    if customer is not None:  # proven in this conversation, from the same address
        slots["customer_id"] = str(customer)
        events.append(
            {"event": "user", "text": "x", "parse_data": parse, "metadata": {"source": "127.0.0.1"}}
        )
        events.append(
            {"event": "slot", "name": "customer_id", "value": str(customer), "timestamp": time.time()}
        )
    events.append({"event": "user", "text": text, "parse_data": parse, "metadata": {"source": "127.0.0.1"}})
    return Tracker("bench", slots, parse, events, False, None, {}, "action_listen")


def _percentile(xs: List[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def worker(calls: int, profile: bool) -> Dict[str, Any]:
    """Inside the subprocess: time every case on this tree's code; return figures and answers."""
    import asyncio

    from rasa_sdk.executor import CollectingDispatcher

    from actions import services
    from actions.catalog import ActionRecommendProducts

    action = ActionRecommendProducts()
    rec = services.recommender()

    async def run(text: str, customer: int | None) -> List[Dict[str, Any]]:
        d = CollectingDispatcher()
        await action.run(d, _tracker(text, customer), {})
        return d.messages

    out: Dict[str, Any] = {"cases": {}, "answers": {}}
    for name, (text, customer) in CASES.items():
        answer = asyncio.run(run(text, customer))  # warm: first call builds caches
        out["answers"][name] = json.dumps(answer, sort_keys=True, default=str)
        walls: List[float] = []

        async def loop(text: str, customer: int | None, walls: List[float]) -> None:
            for _ in range(calls):
                t = time.perf_counter()
                await run(text, customer)
                walls.append((time.perf_counter() - t) * 1000)

        c0 = time.process_time()
        asyncio.run(loop(text, customer, walls))
        cpu = (time.process_time() - c0) * 1000 / calls
        out["cases"][name] = {"p50": _percentile(walls, 0.5), "p95": _percentile(walls, 0.95), "cpu": cpu}
    for label, fn in (
        ("search_message only", lambda: rec.search_message(SEARCH_TEXT, 10)),
        ("MiniLM encode only", lambda: rec.index.encode(SEARCH_TEXT)),
    ):
        fn()
        walls = []
        c0 = time.process_time()
        for _ in range(calls):
            t = time.perf_counter()
            fn()
            walls.append((time.perf_counter() - t) * 1000)
        cpu = (time.process_time() - c0) * 1000 / calls
        out["cases"][label] = {"p50": _percentile(walls, 0.5), "p95": _percentile(walls, 0.95), "cpu": cpu}
    if profile:
        import cProfile
        import io
        import pstats

        pr = cProfile.Profile()
        pr.enable()
        for _ in range(calls):
            rec.search_message(SEARCH_TEXT, 10)
        pr.disable()
        buf = io.StringIO()
        pstats.Stats(pr, stream=buf).sort_stats("cumulative").print_stats(
            r"shop|catalog_index|text_encoder", 30
        )
        out["profile"] = buf.getvalue()
    return out


def _run_tree(tree: Path, args: argparse.Namespace) -> Dict[str, Any]:
    env = dict(os.environ)
    env.update(
        SHOP_DB_URL=args.url,
        CATALOG_INDEX_DIR=str(args.index),
        CATALOG_WARM_UP="0",
        TF_CPP_MIN_LOG_LEVEL="2",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONWARNINGS="ignore",
        PYTHONPATH=str(tree),
    )
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(tree), "--calls", str(args.calls)]
    if args.profile and tree == ROOT:
        cmd.append("--profile")
    proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        raise SystemExit(f"{tree}: worker failed\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=Path, default=None, help="another checkout to time first (before)")
    ap.add_argument("--calls", type=int, default=200, help="calls per case (max 2000)")
    ap.add_argument("--rounds", type=int, default=1, help="alternations base/this (max 5)")
    ap.add_argument("--url", default=f"sqlite:///{ROOT / 'var' / 'shop.db'}")
    ap.add_argument("--index", type=Path, default=ROOT / "var" / "catalog_index")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--worker", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.calls = max(1, min(args.calls, 2000))
    if args.worker is not None:
        sys.path.insert(0, str(args.worker))
        print(json.dumps(worker(args.calls, args.profile)))
        return
    trees = ([("before", args.base.resolve())] if args.base else []) + [("after", ROOT)]
    print(f"machine: {os.cpu_count()} cores, load average at start {os.getloadavg()}")
    results: Dict[str, List[Dict[str, Any]]] = {label: [] for label, _ in trees}
    for _ in range(max(1, min(args.rounds, 5))):
        for label, tree in trees:
            results[label].append(_run_tree(tree, args))
            print(f"  {label} ({tree}) done, load average {os.getloadavg()}", flush=True)
    print(f"\n{args.calls} calls per case; ms per call (wall p50 / p95, CPU mean)")
    heads = [
        f"{label}{i + 1 if len(results[label]) > 1 else ''}"
        for label, _ in trees
        for i in range(len(results[label]))
    ]
    print(f"{'case':<22}" + "".join(f"{h + ' p50':>13}{'p95':>8}{'CPU':>8}" for h in heads))
    for case in results[trees[0][0]][0]["cases"]:
        row = f"{case:<22}"
        for label, _ in trees:
            for r in results[label]:
                c = r["cases"][case]
                row += f"{c['p50']:>13.1f}{c['p95']:>8.1f}{c['cpu']:>8.1f}"
        print(row)
    answers = [r["answers"] for label, _ in trees for r in results[label]]
    same = all(a == answers[0] for a in answers)
    print(f"\nsame messages (text + carousel) in every tree and round: {same}")
    for r in results[trees[-1][0]]:
        if "profile" in r:
            print(r["profile"])
    print(f"load average at the end {os.getloadavg()}")
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
