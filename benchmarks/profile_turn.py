"""Where a turn's time goes under a crowd (issue 13): NLU, policies, actions, stores, the loop.

Starts this assistant's stack as the crowd benchmark does (``harness.stack``: seeded SQLite
order DB and tracker store, ``SHOP_LOOKUP_RATE_PER_CONVERSATION=0``), but with both servers
started through ``benchmarks/turn_probes.py`` (timers inside Rasa and the action server).
After one warm-up pass it runs, for each script, N shoppers at once (``bench_crowd``'s
closed loop, default 40) and prints per turn:

* the client's turns/s and p50/p95;
* Rasa: the whole turn, the lock store, tracker store retrieve/save, the NLU graph per
  message and per component, policy predictions per turn and per prediction (and per policy),
  each custom action's HTTP round trip, SQL statements, the event loop's lag;
* the action server: each action's run, the wait for a worker thread, SQL;
* CPU seconds per turn of each process (/proc), i.e. the ceiling one process can reach.

With ``--py-spy PATH`` it also samples both servers during each crowd (``py-spy record``,
raw collapsed stacks and speedscope files into ``--out``) and prints the functions holding
most samples. Figures are means unless a column says otherwise. Scripts: ``work`` (the
crowd benchmark's real work) and ``talk`` (its small talk).

Usage:
    .venv/bin/python benchmarks/profile_turn.py                         # work + talk, 40 shoppers
    .venv/bin/python benchmarks/profile_turn.py --scripts talk --level 40 --turns 8
    .venv/bin/python benchmarks/profile_turn.py --py-spy /tmp/prof/bin/py-spy --out var/profile
    .venv/bin/python benchmarks/profile_turn.py --env LOCK_STORE_TYPE=in_memory   # the stack's env
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_crowd import (  # noqa: E402
    BENCH_ENV,
    OURS_TALK,
    OURS_WORK,
    Script,
    Scripts,
    client,
    crowd,
    same,
    shoppers_in,
    step_table,
    warm_up,
    work_script,
)

from harness.machine import describe_machine  # noqa: E402
from harness.paths import VENV_BIN  # noqa: E402
from harness.ports import free_port  # noqa: E402
from harness.processes import Service, wait_until  # noqa: E402
from harness.stack import (  # noqa: E402
    Stack,
    actions_service,
    prepare_catalog_index,
    prepare_shop_db,
    rasa_service,
    stack_env,
)
from shop.stats import percentile  # noqa: E402

SCRIPTS: Dict[str, Script] = {"work": OURS_WORK, "talk": OURS_TALK}
PROBES = ROOT / "benchmarks" / "turn_probes.py"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def probed(service: Service, role: str, out: Path) -> Service:
    """``service`` started through turn_probes.py, its figures dumped to ``out.<n>``."""
    rest = (
        service.argv[1:] if role == "rasa" else service.argv[3:]
    )  # drop "rasa" / "python -m actions.server"
    service.argv = [str(VENV_BIN / "python"), str(PROBES), role, "--", *rest]
    service.env = {**service.env, "TURN_PROBES_OUT": str(out)}
    return service


def start(workdir: Path, extra_env: Dict[str, str]) -> Tuple[Stack, Dict[str, Service]]:
    """The stack with both servers probed; {"rasa": ..., "actions": ...}."""
    # One Rasa process: the one the probes and py-spy watch (--env SANIC_WORKERS=... overrides).
    stack = Stack(
        workdir=workdir,
        env=stack_env(workdir, {**BENCH_ENV, "SANIC_WORKERS": "1", **extra_env}),
    )
    stack.action_port, stack.rasa_port = free_port(), free_port()
    stack.env["ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{stack.action_port}/webhook"
    prepare_shop_db(stack.env)
    prepare_catalog_index(stack.env)
    services = {
        "actions": probed(
            actions_service(workdir, stack.env, stack.action_port), "actions", workdir / "probe-actions"
        ),
        "rasa": probed(
            rasa_service(workdir, stack.env, stack.rasa_port, stack.token), "rasa", workdir / "probe-rasa"
        ),
    }
    stack.services.update(services)
    try:
        for s in services.values():
            s.spawn()
        for s in services.values():
            s.wait()
    except BaseException:
        stack.stop()
        for log in stack.logs():
            tail = log.read_text(errors="replace").splitlines()[-30:]
            print(f"--- {log.name} (last lines)\n" + "\n".join(tail))
        raise
    return stack, services


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class Dumper:
    """Asks a probed server for its figures (SIGUSR1) and reads the numbered file it writes."""

    def __init__(self, service: Service, out: Path) -> None:
        self.service, self.out, self.n, self.frozen = service, out, 0, 0
        self.cpu: Dict[str, List[float]] = {}  # the last take's thread CPU seconds per timer

    def take(self) -> Dict[str, List[float]]:
        """The server's timings since the last take."""
        assert self.service.proc is not None
        self.n += 1
        path = Path(f"{self.out}.{self.n}")
        os.kill(self.service.proc.pid, signal.SIGUSR1)
        wait_until(path.exists, 30, f"{path} written")
        state = json.loads(path.read_text())
        self.frozen = int(state.get("gc_frozen", 0))
        self.cpu = dict(state.get("cpu") or {})
        return dict(state["samples"])


def spy(py_spy: str, pid: int, out: Path) -> subprocess.Popen:
    """``py-spy record`` of ``pid`` into ``out`` (raw collapsed stacks) until SIGINT."""
    argv = [py_spy, "record", "--pid", str(pid), "--format", "raw", "--rate", "50", "--nonblocking"]
    return subprocess.Popen(
        [*argv, "--output", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def stop_spy(proc: subprocess.Popen) -> None:
    """Let py-spy write its file (SIGINT) and wait for it."""
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)


def hot_functions(raw: Path, top: int = 25) -> List[Tuple[str, float]]:
    """The functions on most sampled stacks (inclusive share of all samples), from a raw file."""
    inclusive: Counter = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        # A frame is "function (file:line)"; count each function once per stack.
        for name in {
            frame.split(" (")[0] + " (" + frame.split(" (")[-1].split(":")[0] + ")"
            for frame in stack.split(";")
        }:
            inclusive[name] += n
    return [(name, 100.0 * n / total) for name, n in inclusive.most_common(top)] if total else []


def stat(samples: Dict[str, List[float]], name: str, turns: int) -> Tuple[float, float, float, float]:
    """(calls per turn, mean ms, p95 ms, ms per turn) of one timer."""
    values = samples.get(name) or []
    if not values or not turns:
        return 0.0, 0.0, 0.0, 0.0
    mean = 1000 * sum(values) / len(values)
    return len(values) / turns, mean, 1000 * percentile(values, 95), 1000 * sum(values) / turns


def rows_for(samples: Dict[str, List[float]], turns: int, names: List[str]) -> List[str]:
    """Markdown rows: timer, calls/turn, mean ms, p95 ms, ms/turn."""
    rows = []
    for name in names:
        calls, mean, p95, per_turn = stat(samples, name, turns)
        if calls:
            rows.append(f"| {name} | {calls:.2f} | {mean:.1f} | {p95:.1f} | {per_turn:.1f} |")
    return rows


def report(name: str, level: int, crowd_row: Dict[str, Any], cpu: Dict[str, float],
           rasa: Dict[str, List[float]], actions: Dict[str, List[float]]) -> str:  # fmt: skip
    """The Markdown breakdown of one script's crowd."""
    turns = int(crowd_row["turns"]) or 1
    rasa_names = ["turn", "lock.issue_ticket", "lock.acquire", "lock.cleanup", "tracker_store.retrieve",
                  "tracker_store.save", "nlu", "policy", "action_extract_slots"]  # fmt: skip
    rasa_names += sorted(k for k in rasa if k.startswith(("run_action.", "remote_action.")))
    rasa_names += ["action_http.request"] + sorted(k for k in rasa if k.startswith(("sql.", "gc.")))
    nodes = sorted((k for k in rasa if ".node." in k), key=lambda k: -sum(rasa[k]))
    action_names = ["server_call"] + sorted(
        k for k in actions if k.startswith(("server_run.", "sql.", "gc."))
    )
    lag = rasa.get("loop.lag") or [0.0]
    if "tracker_store.save" not in rasa:
        print("WARNING: no SQL tracker store timings: Rasa fell back to its in-memory store (see rasa.log)")
    lines = [
        f"#### {name}: {level} shoppers, {crowd_row['turns']} turns, {crowd_row['errors']} errors, "
        f"{crowd_row['turns_per_s']} turns/s, p50 {crowd_row['p50_ms']} ms, p95 {crowd_row['p95_ms']} ms",
        "",
        f"CPU per turn: Rasa {1000 * cpu['rasa'] / turns:.1f} ms, "
        f"action server {1000 * cpu['actions'] / turns:.1f} ms "
        f"(over {crowd_row['seconds']} s: Rasa {100 * cpu['rasa'] / crowd_row['seconds']:.0f}% of a core, "
        f"actions {100 * cpu['actions'] / crowd_row['seconds']:.0f}%). Rasa loop lag p50 "
        f"{1000 * percentile(lag, 50):.1f} ms, p95 {1000 * percentile(lag, 95):.1f} ms, "
        f"late wake-ups in all {sum(lag):.1f} s of {crowd_row['seconds']} s.",
        "",
        "| Rasa timer | calls/turn | mean ms | p95 ms | ms/turn |",
        "|---|---|---|---|---|",
        *rows_for(rasa, turns, rasa_names),
        "",
        "| graph node (nlu: per message, policy: per prediction) | calls/turn | mean ms | p95 ms | ms/turn |",
        "|---|---|---|---|---|",
        *rows_for(rasa, turns, nodes[:18]),
        "",
        "| action server timer | calls/turn | mean ms | p95 ms | ms/turn |",
        "|---|---|---|---|---|",
        *rows_for(actions, turns, action_names),
    ]
    return "\n".join(lines)


def scripts_for(name: str, db_url: str, level: int) -> Scripts:
    """What each shopper says: bench_crowd's; in ``work`` each is a seeded customer of their own.

    As in bench_crowd, every shopper proves their own order, so the identity limits per order
    and per email stay as shipped and no check waits for another shopper's.
    """
    if name != "work":
        return same(SCRIPTS[name])
    people = shoppers_in(db_url, level)
    return lambda k: work_script(people[k])


async def one_crowd(
    url: str, name: str, scripts: Scripts, level: int, turns: int
) -> Tuple[Dict[str, Any], str]:
    """One crowd of ``level`` shoppers; bench_crowd's row and its per-step table."""
    async with client(level, 120.0) as session:
        result = await crowd(session, url, name, scripts, level, turns, 600.0)
    return result.row(), step_table(result, scripts(0))


async def warm(url: str, names: List[str]) -> None:
    """One pass of each script outside the measurement."""
    async with client(1, 120.0) as session:
        for name in names:
            await warm_up(session, url, name, same(SCRIPTS[name]))


def measure(args: argparse.Namespace, workdir: Path) -> Dict[str, Any]:
    """Start the probed stack, run each script's crowd, print and return the breakdowns."""
    out: Dict[str, Any] = {"machine": describe_machine(), "env": args.env, "scripts": {}}
    stack, services = start(workdir, dict(kv.split("=", 1) for kv in args.env))
    try:
        dumpers = {role: Dumper(s, workdir / f"probe-{role}") for role, s in services.items()}
        pids = {role: s.proc.pid for role, s in services.items() if s.proc}
        asyncio.run(warm(stack.rasa_url, args.scripts))
        for name in args.scripts:
            for d in dumpers.values():
                d.take()  # forget the warm-up and the previous script
            spies = {}
            if args.py_spy:
                spies = {r: spy(args.py_spy, pid, args.out / f"{name}-{r}.raw") for r, pid in pids.items()}
            cpu0 = {r: cpu_seconds(pid) for r, pid in pids.items()}
            print(f"{name} x{args.level} (load {os.getloadavg()[0]:.1f}) ...", flush=True)
            scripts = scripts_for(name, stack.db_url, args.level)
            row, steps = asyncio.run(one_crowd(stack.rasa_url, name, scripts, args.level, args.turns))
            cpu = {r: cpu_seconds(pid) - cpu0[r] for r, pid in pids.items()}
            samples = {r: d.take() for r, d in dumpers.items()}
            for proc in spies.values():
                stop_spy(proc)
            text = report(name, args.level, row, cpu, samples["rasa"], samples["actions"])
            frozen = dumpers["rasa"].frozen
            text += f"\n\n{steps}\n\nObjects frozen out of garbage collection in Rasa: {frozen}."
            print(text + "\n", flush=True)
            for role in spies:
                raw = args.out / f"{name}-{role}.raw"
                if raw.exists():
                    print(f"py-spy {name} {role}: inclusive share of samples")
                    for fn, share in hot_functions(raw):
                        print(f"  {share:5.1f}%  {fn}")
            out["scripts"][name] = {"crowd": row, "cpu_s": cpu, "rasa": summarize(samples["rasa"]),
                                    "actions": summarize(samples["actions"])}  # fmt: skip
    finally:
        stack.stop()
        for log in stack.logs():  # the servers' logs next to the py-spy files
            (args.out / log.name).write_bytes(log.read_bytes())
    return out


def summarize(samples: Dict[str, List[float]]) -> Dict[str, Dict[str, float]]:
    """Per timer: calls, mean ms, p95 ms (for --json)."""
    return {k: {"calls": len(v), "mean_ms": 1000 * sum(v) / len(v), "p95_ms": 1000 * percentile(v, 95)}
            for k, v in samples.items() if v}  # fmt: skip


def sequential(args: argparse.Namespace, workdir: Path) -> Dict[str, Any]:
    """One shopper at a time (``--sequential N``): per kind of turn, wall and CPU per part.

    Every round is a new conversation: "hello" (its first turn: ``action_session_start``,
    NLU, predictions, a save), the order number, then the email (the form validator and
    ``action_order_status``). Each part's CPU is the thread CPU the probes record; the
    processes' CPU comes from /proc around each turn, outside the probes' dumps.
    """
    from shop.seed.demo import DEMO_ORDERS

    number, email = DEMO_ORDERS["shipped"]
    texts = {"hello": "hello", "order": f"where is order {number}", "email": email}
    stack, services = start(workdir, dict(kv.split("=", 1) for kv in args.env))
    merged: Dict[str, Dict[str, Dict[str, List[float]]]] = {
        k: {f"{r}{part}": {} for r in services for part in ("", ".cpu")} for k in texts
    }
    wall: Dict[str, List[float]] = {k: [] for k in texts}
    proc_cpu: Dict[str, Dict[str, float]] = {k: dict.fromkeys(services, 0.0) for k in texts}
    load = [os.getloadavg()[0]]
    try:
        dumpers = {role: Dumper(s, workdir / f"probe-{role}") for role, s in services.items()}
        pids = {role: s.proc.pid for role, s in services.items() if s.proc}
        for i in range(8):  # graphs, connections, the catalog: outside the measurement
            for text in texts.values():
                stack.say(f"warm-{i}", text)
        for d in dumpers.values():
            d.take()
        for i in range(args.sequential):
            for kind, text in texts.items():
                cpu0, t0 = {r: cpu_seconds(pid) for r, pid in pids.items()}, time.perf_counter()
                stack.say(f"seq-{i}", text)
                wall[kind].append(time.perf_counter() - t0)
                for role, pid in pids.items():
                    proc_cpu[kind][role] += cpu_seconds(pid) - cpu0[role]
                for role, d in dumpers.items():
                    for name, values in d.take().items():
                        merged[kind][role].setdefault(name, []).extend(values)
                    for name, values in d.cpu.items():
                        merged[kind][f"{role}.cpu"].setdefault(name, []).extend(values)
    finally:
        stack.stop()
    load.append(os.getloadavg()[0])
    print(f"{args.sequential} rounds, 1-min load {load[0]:.1f} -> {load[1]:.1f}")
    n = args.sequential
    for kind in texts:
        cpu = ", ".join(f"{r} {1000 * proc_cpu[kind][r] / n:.1f} ms" for r in services)
        print(f"\n#### {kind}: p50 {1000 * percentile(wall[kind], 50):.1f} ms; CPU per turn (/proc): {cpu}\n")
        print("| side | timer | calls/turn | wall ms/turn | thread CPU ms/turn |\n|---|---|---|---|---|")
        for role in services:
            samples, cpus = merged[kind][role], merged[kind][f"{role}.cpu"]
            for name in sorted(samples, key=lambda k: -sum(samples[k])):
                if name == "loop.lag":
                    continue
                values = samples[name]
                if name.startswith("call_bytes."):  # bytes per call, not seconds
                    mean = sum(values) / len(values)
                    print(f"| {role} | {name} (bytes) | {len(values) / n:.2f} | {mean:.0f} | |")
                    continue
                c = f"{1000 * sum(cpus[name]) / n:.2f}" if name in cpus else ""
                print(f"| {role} | {name} | {len(values) / n:.2f} | {1000 * sum(values) / n:.2f} | {c} |")
    return {"load": load, "wall_s": wall, "proc_cpu_s": proc_cpu, "parts": merged}


def main(argv: Optional[List[str]] = None) -> int:
    """Run the profile; print the breakdown (and write JSON with ``--json``)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scripts", default="work,talk", help="comma-separated: work, talk")
    parser.add_argument("--level", type=int, default=40, help="shoppers at once")
    parser.add_argument("--turns", type=int, default=6, help="turns per shopper")
    parser.add_argument("--py-spy", help="py-spy binary: also sample both servers")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "profile", help="py-spy files")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="stack environment")
    parser.add_argument("--sequential", type=int, default=0, metavar="N",
                        help="no crowd: N rounds of hello / order / email, one turn at a time")  # fmt: skip
    args = parser.parse_args(argv)
    args.scripts = [s for s in args.scripts.split(",") if s]
    if not set(args.scripts) <= set(SCRIPTS) or not 1 <= args.level <= 200 or not 1 <= args.turns <= 200:
        parser.error("scripts: work,talk; level 1-200; turns 1-200")
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"machine: {describe_machine()}", flush=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="profile-turn-") as tmp:
        figures = sequential(args, Path(tmp)) if args.sequential else measure(args, Path(tmp))
    print(f"({time.perf_counter() - started:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
