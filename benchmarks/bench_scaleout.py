"""Scale-out benchmark: the same conversations against one Rasa replica and against two (issue 13).

Starts the production configuration once through :func:`harness.cluster.start_cluster`
(PostgreSQL order DB + tracker store, Redis lock store and lookup limits, one action server
of ``--action-processes`` processes, two Rasa replicas, all on 127.0.0.1), warms both
replicas up outside the measurement, and then, for each ``--in-flight`` level, runs the
scale-out load of :mod:`harness.scaleout` twice:

* ``one`` - every turn to the first replica (the second stays loaded, idle);
* ``two`` - turns alternating between the two replicas, as in ``tests/production/test_scaleout.py``.

Each run is ``--conversations`` shoppers at once (greet, an order-status question, the
email that proves it, thanks: 4 turns each, on the 6 demo orders), at most ``--in-flight``
requests outstanding; afterwards every conversation's tracker is read back from a replica
that did not answer its last turn and must hold exactly the user and bot events exchanged.
A turn is an error on an HTTP error, a timeout or an answer without what it must say; a
conversation is broken on an error, a wrong answer or a wrong tracker. Latencies are the
answered turns'; turns/s counts every turn sent over the load's wall time (tracker checks
excluded). With ``--rounds N`` the pairs repeat, the order of ``one`` and ``two``
swapped every other round, so a busy machine weighs on both alike.

``--max-concurrent-turns`` sets ``RASA_MAX_CONCURRENT_TURNS`` for the replicas (ops/admission.py:
turns beyond it wait before the conversation lock; 0 is Rasa's own behaviour; blank: the
install's default).

Prints the machine (cores, CPU, load average), the load before each run, a table of
conversations, turns, errors, broken conversations, turns/s and p50/p95/p99 per run, and
two/one: throughput ratio and p50/p95 ratios per level. The figures go to ``--json``
(default ``results/bench_scaleout.json``). Bounded: conversations, levels, rounds, the
per-turn timeout and ``--max-seconds`` (no new run starts after it; runs not started are
listed as skipped). Exit status 1 if any turn failed or any conversation broke.

Usage:
    .venv/bin/python benchmarks/bench_scaleout.py          # 200 conversations; 48, then 200 in flight
    .venv/bin/python benchmarks/bench_scaleout.py --in-flight 48 --rounds 2
    .venv/bin/python benchmarks/bench_scaleout.py --conversations 40 --in-flight 10   # smoke
    .venv/bin/python benchmarks/bench_scaleout.py --in-flight 200 --max-concurrent-turns 0  # no door
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.cluster import Cluster, start_cluster  # noqa: E402
from harness.machine import describe_machine  # noqa: E402
from harness.scaleout import LOAD_TEST_ENV, Report, compare, run_conversations, warm_up  # noqa: E402

BOUNDS = {"conversations": 1000, "in_flight": 256, "rounds": 5, "max_seconds": 3600.0, "action_processes": 8}
DEFAULT_JSON = ROOT / "results" / "bench_scaleout.json"
MODES = ("one", "two")


def load() -> str:
    """The 1-minute load average (the machine is shared: it shows here)."""
    return f"{os.getloadavg()[0]:.1f}"


def serving(cluster: Cluster) -> Dict[str, Any]:
    """How the cluster serves: action-server processes, and the door of each replica."""
    return {
        "action_processes": len(cluster.action_processes),
        "rasa_max_concurrent_turns": cluster.env.get("RASA_MAX_CONCURRENT_TURNS") or "unset",
        "rasa_replicas": len(cluster.replicas),
    }


def parse(argv: Optional[List[str]]) -> argparse.Namespace:
    """The command line, bounded (conversations, levels, rounds, seconds)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--conversations", type=int, default=200, help="shoppers at once per run")
    parser.add_argument("--in-flight", default="48,200", help="comma-separated max requests outstanding")
    parser.add_argument("--rounds", type=int, default=1, help="one/two pairs per level")
    parser.add_argument("--request-timeout", type=float, default=120.0, help="seconds one turn may take")
    parser.add_argument("--max-seconds", type=float, default=1800.0, help="no new run starts after this")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="write the figures here")
    parser.add_argument("--action-processes", type=int, default=2, help="ACTION_SERVER_SANIC_WORKERS")
    parser.add_argument(
        "--max-concurrent-turns", default="", help="RASA_MAX_CONCURRENT_TURNS per replica (blank: default)"
    )
    args = parser.parse_args(argv)
    args.in_flight = [int(x) for x in str(args.in_flight).split(",") if x.strip()]
    if (
        not 1 <= args.conversations <= BOUNDS["conversations"]
        or not args.in_flight
        or not all(1 <= n <= BOUNDS["in_flight"] for n in args.in_flight)
        or not 1 <= args.rounds <= BOUNDS["rounds"]
        or not 0 < args.max_seconds <= BOUNDS["max_seconds"]
        or not 0 < args.request_timeout <= 600
        or not 1 <= args.action_processes <= BOUNDS["action_processes"]
        or not (args.max_concurrent_turns == "" or str(args.max_concurrent_turns).isdigit())
    ):
        parser.error(
            f"bounded benchmark: {BOUNDS}, --request-timeout <= 600, --max-concurrent-turns a whole number"
        )
    return args


def plan(levels: List[int], rounds: int) -> List[Tuple[int, int, str]]:
    """(round, in flight, mode) in run order: per level one then two, swapped every other round."""
    runs = []
    for r in range(1, rounds + 1):
        for level in levels:
            for mode in MODES if r % 2 else tuple(reversed(MODES)):
                runs.append((r, level, mode))
    return runs


async def measure(cluster: Cluster, args: argparse.Namespace) -> Tuple[List[Dict[str, Any]], List[str]]:
    """Warm up, then every planned run; the rows (figures + load) and the runs skipped."""
    urls, token = cluster.rasa_urls, cluster.token
    stamp = f"{int(time.time())}"
    await warm_up(urls, token, run_id=f"{stamp}-warm")
    deadline = time.monotonic() + args.max_seconds
    rows: List[Dict[str, Any]] = []
    skipped: List[str] = []
    for r, level, mode in plan(args.in_flight, args.rounds):
        name = f"{mode} x{level} round {r}"
        if time.monotonic() > deadline:
            skipped.append(name)
            continue
        before = load()
        print(f"  {name} (load {before}) ...", flush=True)
        report = await run_conversations(
            urls[:1] if mode == "one" else urls,
            token,
            args.conversations,
            level,
            args.request_timeout,
            run_id=f"{stamp}-{mode}-{level}-{r}",
            check_urls=urls,
        )
        print(f"    {report.line()}", flush=True)
        rows.append({"mode": mode, "round": r, "load_before": before, "report": report})
    return rows, skipped


def ratio_rows(rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """two/one per level and round (the pair measured back to back)."""
    by = {(row["mode"], row["report"].max_in_flight, row["round"]): row["report"] for row in rows}
    out = []
    for (mode, level, r), two in by.items():
        one: Optional[Report] = by.get(("one", level, r))
        if mode == "two" and one is not None:
            out.append({"in_flight": level, "round": r, **compare(one, two)})
    return out


def table(rows: List[Dict[str, Any]]) -> str:
    """A Markdown table of the runs."""
    lines = [
        "| replicas | in flight | round | load | conversations | turns | errors | broken | turns/s "
        "| p50 ms | p95 ms | p99 ms |",
        "|" + "---|" * 12,
    ]
    for row in rows:
        s = row["report"].summary()
        lines.append(
            f"| {s['replicas']} | {s['max_in_flight']} | {row['round']} | {row['load_before']} | "
            f"{s['conversations']} | {s['turns']} | {s['errors']} | {s['broken_conversations']} | "
            f"{s['turns_per_second']} | {s['p50_ms']} | {s['p95_ms']} | {s['p99_ms']} |"
        )
    return "\n".join(lines)


def _finite(value: Any) -> Any:
    """NaN (a ratio over an empty run) as JSON null."""
    return None if isinstance(value, float) and math.isnan(value) else value


def figures(
    args: argparse.Namespace, rows: List[Dict[str, Any]], ratios: List[Dict[str, Any]], skipped: List[str]
) -> Dict[str, Any]:
    """What ``--json`` holds: the machine, the arguments, every run's figures, the ratios."""
    return {
        "machine": describe_machine(),
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "rows": [
            {"mode": row["mode"], "round": row["round"], "load_before": row["load_before"]}
            | row["report"].summary()
            for row in rows
        ],
        "ratios_two_over_one": [{k: _finite(v) for k, v in q.items()} for q in ratios],
        "skipped": skipped,
    }


def main(argv: Optional[List[str]] = None) -> int:
    """Start the cluster, measure, print, write the JSON; exit 1 if anything failed."""
    args = parse(argv)
    print(f"machine: {describe_machine()}", flush=True)
    started = time.perf_counter()
    extra = dict(LOAD_TEST_ENV)
    if args.max_concurrent_turns != "":
        extra["RASA_MAX_CONCURRENT_TURNS"] = str(args.max_concurrent_turns)
    cluster = start_cluster(replicas=2, extra_env=extra, action_processes=args.action_processes)
    try:
        up = time.perf_counter() - started
        print(f"cluster up in {up:.0f}s: {', '.join(cluster.rasa_urls)}", flush=True)
        args.serving = serving(cluster)
        print(f"serving: {args.serving}", flush=True)
        print(
            f"{args.conversations} conversations x 4 turns per run, in flight {args.in_flight}, "
            f"{args.rounds} round(s)",
            flush=True,
        )
        rows, skipped = asyncio.run(measure(cluster, args))
    finally:
        cluster.stop()
    print(table(rows))
    ratios = ratio_rows(rows)
    for q in ratios:
        print(
            f"{q['in_flight']:>4} in flight, round {q['round']}: two/one throughput {q['throughput']:.2f}x, "
            f"p50 {q['p50']:.2f}x, p95 {q['p95']:.2f}x"
        )
    for name in skipped:
        print(f"skipped (over --max-seconds): {name}")
    for row in rows:
        for example in row["report"].summary()["examples"]:
            print(f"broken ({row['mode']} x{row['report'].max_in_flight}): {str(example)[:300]}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(figures(args, rows, ratios, skipped), indent=2))
    print(f"figures: {args.json}")
    return 0 if rows and all(row["report"].ok for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
