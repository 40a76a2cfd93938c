#!/usr/bin/env python
"""How long a Rasa server of this assistant takes to start serving, next to Rasa's moodbot.

Every replica, restart and test stack pays the model load before it answers. This starts
``rasa run`` the way the harness does (``harness.stack.rasa_argv``: this repo's credentials,
so the runtime plugins of ``ops.resilience`` are installed, and its endpoints) and times the
spawn until ``GET /status`` answers 200, for each ``--model`` given (e.g. a model trained
before a change and the current one), alternating with the ``rasa init`` moodbot in the same
run (``--moodbot-dir``, built if missing, as ``benchmarks/bench_crowd.py`` does) so a busy
machine weighs on all alike. ``--agent-load`` adds each component's load time inside one
``Agent.load`` (a fresh process per model, with ``ops.model_load`` installed as the servers
have it). Prints seconds per round, the medians and the ratios to the moodbot.

Usage: ``.venv/bin/python benchmarks/bench_startup.py [--model models/current.tar.gz]...
[--rounds 3] [--moodbot-dir /tmp/moodbot] [--agent-load]``. Loopback only; not in ``make test``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_crowd import init_moodbot, moodbot_service, wait_init  # noqa: E402
from harness.machine import describe_machine  # noqa: E402
from harness.paths import VENV_BIN  # noqa: E402
from harness.ports import free_port  # noqa: E402
from harness.processes import Service  # noqa: E402
from harness.stack import RASA_START_TIMEOUT, rasa_argv, stack_env  # noqa: E402
from shop.threads import rasa_thread_env  # noqa: E402

AGENT_LOAD = """
import json, sys, time
from ops import model_load
model_load.install()
import rasa.engine.graph as graph
from rasa.core.agent import Agent
times = {}
original = graph.GraphNode._load_component
def timed(self, **kwargs):
    start = time.perf_counter()
    try:
        return original(self, **kwargs)
    finally:
        times[self._node_name] = round(time.perf_counter() - start, 2)
graph.GraphNode._load_component = timed
start = time.perf_counter()
Agent.load(sys.argv[1])
times["total"] = round(time.perf_counter() - start, 2)
print(json.dumps(times))
"""


def ours(model: Path, workdir: Path) -> Service:
    """``rasa run`` of this assistant serving ``model``, as the harness starts it."""
    env = stack_env(workdir)
    env = {**env, **rasa_thread_env(env)}
    port, token = free_port(), env.get("RASA_API_TOKEN") or "bench-token-0123456789abcdef"
    argv = rasa_argv(port, token)
    argv[argv.index("--model") + 1] = str(model)
    return Service(f"ours-{model.stem}", argv, env, port, f"http://127.0.0.1:{port}/status?token={token}",
                   workdir / f"rasa-{model.stem}.log", RASA_START_TIMEOUT)  # fmt: skip


def time_start(service: Service) -> float:
    """Seconds from spawn until the health URL answers 200; the server is stopped after."""
    start = time.monotonic()
    service.start()
    took = time.monotonic() - start
    service.stop()
    return took


def agent_load(model: Path) -> Dict[str, float]:
    """Component load seconds of one ``Agent.load`` of ``model`` in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run([str(VENV_BIN / "python"), "-c", AGENT_LOAD, str(model)], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", action="append", type=Path, help="a model to time (repeatable)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--moodbot-dir", type=Path, default=None)
    p.add_argument("--agent-load", action="store_true")
    args = p.parse_args(argv)
    models = args.model or [ROOT / "models" / "current.tar.gz"]
    moodbot = args.moodbot_dir or Path(tempfile.mkdtemp(prefix="moodbot-"))
    wait_init(init_moodbot(moodbot), moodbot)
    print(describe_machine())
    workdir = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    rows: Dict[str, List[float]] = {"moodbot": [], **{str(m): [] for m in models}}
    for round_ in range(1, args.rounds + 1):
        rows["moodbot"].append(time_start(moodbot_service(moodbot)))
        for model in models:
            rows[str(model)].append(time_start(ours(model, workdir)))
        print(f"round {round_}: " + ", ".join(f"{Path(k).name} {v[-1]:.1f}s" for k, v in rows.items()),
              f"(load {os.getloadavg()[0]:.1f})", flush=True)  # fmt: skip
    floor = statistics.median(rows["moodbot"])
    print(f"\nstart until /status answers, median of {args.rounds}:")
    for name, values in rows.items():
        median = statistics.median(values)
        print(f"  {Path(name).name:<28} {median:6.1f} s   {median / floor:4.1f}x the moodbot")
    if args.agent_load:
        for model in models:
            times = agent_load(model)
            slow = {k: v for k, v in sorted(times.items(), key=lambda kv: -kv[1]) if v >= 0.5}
            print(f"\nAgent.load of {model.name}: " + ", ".join(f"{k} {v:.1f}s" for k, v in slow.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
