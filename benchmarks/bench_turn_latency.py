"""Latency of an order-status turn through the REST webhook, next to a turn with no custom action.

Starts the real assistant (action server + Rasa server, seeded SQLite) on loopback, then times
sequential turns:
  - baseline: "hello" -> utter_greet (NLU + policies only, no action server call);
  - order status: the email answer that runs the form validator (identity check in the DB)
    and action_order_status (order, items, shipment and scans from the DB).
Prints p50/p95 of each and their ratio, and the CPU both servers spent per turn of each kind
(/proc, read before and after each turn: the turns are sequential, so a shared, busy machine
moves the latencies but hardly the CPU figures), with the 1-minute load average.
Usage: python benchmarks/bench_turn_latency.py [--turns 200]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.stack import start_stack  # noqa: E402
from shop.seed.demo import DEMO_ORDERS  # noqa: E402
from shop.stats import percentile  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list) -> float:
    """User + system CPU seconds of these processes (all their threads) so far."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    args = parser.parse_args()
    number, email = DEMO_ORDERS["shipped"]
    with tempfile.TemporaryDirectory() as tmp:
        stack = start_stack(Path(tmp))
        try:
            for i in range(10):  # warm-up: model graphs, DB connections
                stack.say(f"warm-{i}", "hello")
                stack.say(f"warm-{i}", f"where is order {number}")
                stack.say(f"warm-{i}", email)
            pids = [s.proc.pid for s in stack.services.values() if s.proc is not None]
            baseline, status = [], []
            cpu = {"baseline": 0.0, "status": 0.0}
            load = [os.getloadavg()[0]]
            for i in range(args.turns):
                sender = f"bench-{i}"
                c0, t0 = cpu_seconds(pids), time.perf_counter()
                stack.say(sender, "hello")
                baseline.append((time.perf_counter() - t0) * 1000)
                cpu["baseline"] += cpu_seconds(pids) - c0
                stack.say(sender, f"where is order {number}")
                c0, t0 = cpu_seconds(pids), time.perf_counter()
                reply = stack.say(sender, email)
                status.append((time.perf_counter() - t0) * 1000)
                cpu["status"] += cpu_seconds(pids) - c0
                assert any(f"Order #{number}" in (m.get("text") or "") for m in reply), reply
            load.append(os.getloadavg()[0])
        finally:
            stack.stop()
    b50, b95 = percentile(baseline, 50), percentile(baseline, 95)
    s50, s95 = percentile(status, 50), percentile(status, 95)
    print(f"turns per kind: {args.turns}")
    print(f"baseline turn (hello -> utter_greet):      p50 {b50:6.1f} ms  p95 {b95:6.1f} ms")
    print(f"order-status turn (email -> DB + action):   p50 {s50:6.1f} ms  p95 {s95:6.1f} ms")
    print(f"ratio order-status / baseline:              p50 {s50 / b50:5.2f}x  p95 {s95 / b95:5.2f}x")
    cb, cs = 1000 * cpu["baseline"] / args.turns, 1000 * cpu["status"] / args.turns
    print(f"CPU per turn, Rasa + action server:         baseline {cb:5.1f} ms  order-status {cs:5.1f} ms  "
          f"ratio {cs / cb:4.2f}x  (1-min load {load[0]:.1f} -> {load[1]:.1f})")  # fmt: skip


if __name__ == "__main__":
    main()
