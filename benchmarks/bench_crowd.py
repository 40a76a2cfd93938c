"""A sale-day crowd: this assistant next to Rasa's own moodbot under the same concurrency (issue 13).

Builds Rasa's ``rasa init`` moodbot (the floor any Rasa assistant stands on) with this
virtualenv's Rasa into a temporary folder (it trains a model: a minute or two here), serves it
with ``rasa run`` on a free loopback port, starts this assistant's stack through
:func:`harness.stack.start_stack` (action server + Rasa, seeded SQLite order DB and tracker
store), and then, for each concurrency level, runs N simulated shoppers at once against each
bot over REST (``POST /webhooks/rest/webhook``), every shopper with its own random sender id:

* ``moodbot``   - small talk: greet, a mood answer, goodbye (no custom action exists there);
* ``ours``      - real work: "where is my order 104523?", the email (the identity check and
                  action_order_status), an FAQ, a recommendation (a carousel of products
                  required), a coupon, an order-status turn in the verified conversation;
* ``ours-talk`` - with ``--small-talk``: this assistant doing small talk only, which separates
                  the NLU pipeline and policies from the actions.

Shoppers are a closed loop with no think time: each sends its next message when the last
answer arrives. A turn is an error on an HTTP error, a timeout, or an answer without what the
turn must say (e.g. ``Order #104523``); only answered turns count towards the latencies and
turns/s. Each level is bounded by ``--turns`` per shopper and ``--max-seconds`` (no new turn
starts after it; turns not started are reported as ``cut``). Levels of the two bots alternate
(moodbot 1, ours 1, moodbot 10, ...) so a busy machine weighs on both alike. Prints turns/s,
p50/p95/p99 and errors per bot and level, then ours/moodbot: throughput ratio and p95 ratio
next to the issue's goal (>= 0.6x throughput, <= 2x p95 at 40 shoppers).

``--conversation-length N`` measures instead one shopper talking for N turns (150 in the
issue): verify (order ask + email), then small talk and an order-status turn ("where is my
order 104523?" in the verified conversation) alternating. It prints the order-status turn's
median over turns 1-20 and over the last 20 turns (130-150) and their
ratio (2.7x before issue 13; the goal is <= 1.2), and the same for the small-talk turns;
``--compare-moodbot`` adds the moodbot's small talk over the same length.

``--sanic-workers 1,2`` starts one stack of ours per count, its Rasa with that many Sanic
workers (``SANIC_WORKERS``; the default lock store, a SQLite file, lets them share
conversation locks), measured as ``ours-w1``, ``ours-w2`` in the same alternation; each stack
is measured only once all its workers have loaded the model. The moodbot stays on one worker
(``rasa init``'s in-memory lock store allows no more). ``--tf-threads 0,1`` multiplies those
stacks by ``RASA_TF_THREADS`` (``ours-w2-tf0``: TensorFlow's own thread pool per worker,
``ours-w2-tf1``: one thread, the default); the moodbot keeps TF's default, as ``rasa init`` made it.

Our stack runs with the harness's defaults (SQLite order DB and tracker store, no per-source
lookup limit for 127.0.0.1) plus ``SHOP_LOOKUP_RATE_PER_CONVERSATION=0``: a long conversation
asks for an order 75 times in a few minutes, which that limit refuses by design. Each crowd
shopper is a different seeded customer proving their own order (:func:`shoppers_in`): the
identity limits per order and per email are left as shipped. The moodbot
runs as ``rasa init`` made it (in-memory tracker store, its own credentials and endpoints).
Loopback only; Rasa telemetry off for the moodbot. Percentiles from :mod:`shop.stats`.

Usage:
    .venv/bin/python benchmarks/bench_crowd.py                      # levels 1,10,40,100; 6 turns
    .venv/bin/python benchmarks/bench_crowd.py --levels 40 --turns 6 --small-talk
    .venv/bin/python benchmarks/bench_crowd.py --quick              # levels 1,10; 3 turns (smoke)
    .venv/bin/python benchmarks/bench_crowd.py --conversation-length 150
    .venv/bin/python benchmarks/bench_crowd.py --moodbot-dir var/moodbot   # reuse a built moodbot
    .venv/bin/python benchmarks/bench_crowd.py --json var/bench_crowd.json
    .venv/bin/python benchmarks/bench_crowd.py --levels 40 --sanic-workers 1,2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import aiohttp
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.env import QUIET  # noqa: E402
from harness.machine import describe_machine  # noqa: E402
from harness.paths import VENV_BIN  # noqa: E402
from harness.ports import free_port  # noqa: E402
from harness.processes import Service, wait_until  # noqa: E402
from harness.stack import RASA_START_TIMEOUT, Stack, start_stack  # noqa: E402
from ops.workers import serving_workers  # noqa: E402
from shop.db.session import make_engine  # noqa: E402
from shop.seed.demo import DEMO_ORDERS  # noqa: E402
from shop.stats import percentile, summary  # noqa: E402

Replies = List[Dict[str, Any]]
#: True if the bot's replies are what this turn must answer.
Check = Callable[[Replies], bool]
Turn = Tuple[str, Check]

ORDER, EMAIL = DEMO_ORDERS["delivered_recent"]  # 104523, alex.morgan@example.com
SECOND_ORDER, _ = DEMO_ORDERS["shipped"]  # 104587, the same customer
#: Our stack's environment on top of harness.stack's (see the module docstring).
BENCH_ENV = {"SHOP_LOOKUP_RATE_PER_CONVERSATION": "0"}
#: Issue 13's goals, printed next to the measured ratios.
GOAL_THROUGHPUT, GOAL_P95, GOAL_LEVEL, GOAL_LENGTH_RATIO = 0.6, 2.0, 40, 1.2
#: The long conversation's figure before issue 13 (order-status median, last / first window).
BEFORE_LENGTH_RATIO = 2.7
WINDOW = 20  # turns in each window of the conversation-length mode
BOUNDS = {"levels": 200, "turns": 200, "max_seconds": 1800.0, "length": 500}
QUICK_LEVELS, QUICK_TURNS = (1, 10), 3
MAX_WORKERS = 8


def text_of(replies: Replies) -> str:
    """All text the bot sent in one turn, one message a line."""
    return "\n".join(str(r.get("text") or "") for r in replies)


def says(fragment: str) -> Check:
    """A check: the turn's text contains ``fragment`` (case-insensitive)."""
    return lambda replies: fragment.lower() in text_of(replies).lower()


def answers(replies: Replies) -> bool:
    """A check: the bot answered with something (text, image, buttons or a custom payload)."""
    return any(r.get("text") or r.get("image") or r.get("custom") or r.get("buttons") for r in replies)


def carousel(replies: Replies) -> bool:
    """A check: a product carousel with at least one product (action_recommend_products)."""
    return any(
        isinstance(r.get("custom"), dict)
        and r["custom"].get("type") == "carousel"
        and bool(r["custom"].get("products"))
        for r in replies
    )


@dataclass(frozen=True)
class Script:
    """What one simulated shopper says: ``opening`` once, then ``loop`` over and over."""

    opening: Tuple[Turn, ...]
    loop: Tuple[Turn, ...]

    def turn(self, i: int) -> Turn:
        """The shopper's ``i``-th turn (0-based)."""
        if i < len(self.opening):
            return self.opening[i]
        return self.loop[(i - len(self.opening)) % len(self.loop)]


#: Shopper number -> that shopper's script.
Scripts = Callable[[int], Script]


def same(script: Script) -> Scripts:
    """Every shopper says the same (small talk)."""
    return lambda _k: script


ORDER_ASK: Turn = (f"where is my order {ORDER}?", says("email"))
VERIFY: Turn = (EMAIL, says(f"Order #{ORDER}"))


@dataclass(frozen=True)
class Shopper:
    """A seeded customer the crowd plays: two of their orders and their email."""

    order: str
    second_order: str
    email: str


def work_script(who: Shopper) -> Script:
    """Real work as ``who``: verify their order, FAQ, recommendation, coupon, their other order."""
    return Script(
        opening=(
            (f"where is my order {who.order}?", says("email")),
            (who.email, says(f"Order #{who.order}")),
        ),
        loop=(
            ("how long does shipping take?", says("Orders ship within")),
            ("I'm looking for a waterproof jacket", carousel),
            ("apply code SAVE10", says("SAVE10")),
            (f"where is my order {who.second_order}?", says(f"Order #{who.second_order}")),
        ),
    )


def shoppers_in(db_url: str, count: int) -> List[Shopper]:
    """``count`` different customers with two orders each, from the stack's seeded order DB.

    Each simulated shopper proves their own order: 40 people checking one order at once is
    what the identity limits (per order and per email) are there to refuse.
    """
    engine = make_engine(db_url)
    query = sa.text(
        "SELECT o.order_number, c.email, o.customer_id FROM orders o JOIN customers c"
        " ON c.id = o.customer_id WHERE o.status IN ('delivered', 'shipped', 'processing')"
        " ORDER BY o.customer_id, o.id"
    )
    try:
        with engine.connect() as conn:
            rows = conn.execute(query).all()
    finally:
        engine.dispose()
    by_customer: Dict[int, List[Tuple[str, str]]] = {}
    for number, email, customer in rows:
        by_customer.setdefault(customer, []).append((str(number), str(email)))
    found = [Shopper(o[0][0], o[1][0], o[0][1]) for o in by_customer.values() if len(o) >= 2]
    if len(found) < count:
        raise RuntimeError(f"the seeded DB has {len(found)} customers with two orders, {count} needed")
    return found[:count]


OURS_WORK = work_script(Shopper(ORDER, SECOND_ORDER, EMAIL))
OURS_TALK = Script(
    opening=(),
    loop=(("hello", answers), ("are you a bot?", says("bot")), ("hi there", answers), ("bye", answers)),
)
MOODBOT_TALK = Script(
    opening=(),
    loop=(
        ("hello", answers),
        ("I am great", answers),
        ("hi", answers),
        ("I am sad", answers),
        ("yes", answers),
        ("bye", answers),
    ),
)
#: The conversation-length mode's turns (after the two verifying turns).
LONG_TALK: Tuple[Turn, ...] = (("hello", answers), ("are you a bot?", says("bot")))
LONG_ORDER: Turn = (f"where is my order {ORDER}?", says(f"Order #{ORDER}"))


@dataclass
class Result:
    """One bot under one crowd: answered turns' latencies (seconds), errors, turns never started."""

    bot: str
    level: int
    latencies: List[float] = field(default_factory=list)
    errors: int = 0
    cut: int = 0
    seconds: float = 0.0
    samples: List[str] = field(default_factory=list)
    #: Answered turns' seconds by the turn's place in a shopper's script (0-based).
    by_step: Dict[int, List[float]] = field(default_factory=dict)

    def error(self, what: str) -> None:
        """Count a failed turn; keep the first few descriptions for the report."""
        self.errors += 1
        if len(self.samples) < 3:
            self.samples.append(what[:300])

    def row(self) -> Dict[str, Any]:
        """The printed / JSON row: turns, errors, cut, p50/p95/p99 ms, turns/s."""
        lat = summary(self.latencies)
        return {
            "bot": self.bot,
            "concurrency": self.level,
            "turns": lat.n,
            "errors": self.errors,
            "cut": self.cut,
            **lat.scaled(1000, 1, "_ms"),
            "turns_per_s": round(lat.n / self.seconds, 2) if self.seconds else 0.0,
            "seconds": round(self.seconds, 1),
            "error_samples": self.samples,
        }

    def steps(self, script: Script) -> List[Dict[str, Any]]:
        """Per script step: its text (``script``'s), turns, p50/p95 ms, and its share of the slow turns.

        A slow turn is one above the level's p95: the share says which steps make the p95.
        """
        everything = [s for v in self.by_step.values() for s in v]
        if not everything:
            return []
        p95 = percentile(everything, 95)
        slow = sum(1 for s in everything if s > p95) or 1
        rows = []
        for i in sorted(self.by_step):
            lat = self.by_step[i]
            rows.append({
                "step": i + 1,
                "text": script.turn(i)[0],
                "turns": len(lat),
                "p50_ms": round(1000 * percentile(lat, 50), 1),
                "p95_ms": round(1000 * percentile(lat, 95), 1),
                "slow_share": round(sum(1 for s in lat if s > p95) / slow, 2),
            })  # fmt: skip
        return rows


async def say(session: aiohttp.ClientSession, url: str, sender: str, text: str) -> Replies:
    """One REST turn; the bot's messages."""
    body = {"sender": sender, "message": text}
    async with session.post(f"{url}/webhooks/rest/webhook", json=body) as resp:
        resp.raise_for_status()
        return list(await resp.json())


async def timed_turn(
    session: aiohttp.ClientSession, url: str, sender: str, turn: Turn
) -> Tuple[Optional[float], str]:
    """(seconds, "") for an answered turn, (None, what went wrong) for an error."""
    text, check = turn
    started = time.perf_counter()
    try:
        replies = await say(session, url, sender, text)
    except aiohttp.ClientResponseError as exc:
        return None, f"{text!r}: HTTP {exc.status}"
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
        return None, f"{text!r}: {type(exc).__name__} {exc}"
    elapsed = time.perf_counter() - started
    if not check(replies):
        return None, f"{text!r}: unexpected answer {text_of(replies)[:200]!r}"
    return elapsed, ""


async def crowd(
    session: aiohttp.ClientSession,
    url: str,
    bot: str,
    script: Scripts,
    level: int,
    turns: int,
    max_seconds: float,
) -> Result:
    """``level`` shoppers at once, ``turns`` turns each, no new turn after ``max_seconds``."""
    result = Result(bot, level)
    deadline = time.monotonic() + max_seconds

    async def shopper(k: int) -> None:
        sender = f"crowd-{bot}-{uuid.uuid4().hex[:12]}"
        mine = script(k)
        for i in range(turns):
            if time.monotonic() > deadline:
                result.cut += turns - i
                return
            seconds, problem = await timed_turn(session, url, sender, mine.turn(i))
            if seconds is None:
                result.error(problem)
            else:
                result.latencies.append(seconds)
                result.by_step.setdefault(i, []).append(seconds)

    started = time.perf_counter()
    await asyncio.gather(*(shopper(k) for k in range(level)))
    result.seconds = time.perf_counter() - started
    return result


async def warm_up(session: aiohttp.ClientSession, url: str, bot: str, scripts: Scripts) -> None:
    """One full pass of the first shopper's script outside the measurement (graphs, DB, index)."""
    sender = f"warm-{bot}-{uuid.uuid4().hex[:12]}"
    script = scripts(0)
    for i in range(len(script.opening) + len(script.loop)):
        seconds, problem = await timed_turn(session, url, sender, script.turn(i))
        if seconds is None:
            raise RuntimeError(f"{bot} warm-up failed: {problem}")


def client(limit: int, request_timeout: float) -> aiohttp.ClientSession:
    """One HTTP client for every shopper, with a connection for each of them."""
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=request_timeout),
        connector=aiohttp.TCPConnector(limit=limit + 8),
    )


async def run_crowds(
    bots: Sequence[Tuple[str, str, Scripts]],
    levels: Sequence[int],
    turns: int,
    max_seconds: float,
    request_timeout: float,
) -> List[Result]:
    """Every level for every bot ``(name, url, script)``, the bots alternating per level."""
    results: List[Result] = []
    async with client(max(levels), request_timeout) as session:
        for name, url, script in bots:
            await warm_up(session, url, name, script)
        for level in levels:
            for name, url, script in bots:
                print(f"  {name} x{level} (load {load()}) ...", flush=True)
                results.append(await crowd(session, url, name, script, level, turns, max_seconds))
    return results


async def long_conversation(
    url: str, length: int, talk: Tuple[Turn, ...], order: Optional[Turn], request_timeout: float
) -> Dict[str, Dict[int, float]]:
    """One shopper, ``length`` turns: {"order_status" | "small_talk": {turn number: seconds}}.

    With ``order`` the first two turns verify (counted as neither kind: the identity check
    costs more than a lookup in a verified conversation) and then small talk (odd turns) and
    ``order`` (even turns) alternate; without it every turn is small talk.
    """
    timings: Dict[str, Dict[int, float]] = {"order_status": {}, "small_talk": {}}
    sender = f"long-{uuid.uuid4().hex[:12]}"
    async with client(1, request_timeout) as session:
        for number in range(1, length + 1):
            kind: Optional[str]
            if order is None:
                kind, turn = "small_talk", talk[(number - 1) % len(talk)]
            elif number <= 2:
                kind, turn = None, (ORDER_ASK if number == 1 else VERIFY)
            elif number % 2 == 0:
                kind, turn = "order_status", order
            else:
                kind, turn = "small_talk", talk[(number // 2) % len(talk)]
            seconds, problem = await timed_turn(session, url, sender, turn)
            if seconds is None:
                raise RuntimeError(f"turn {number} failed: {problem}")
            if kind is not None:
                timings[kind][number] = seconds
    return timings


def window_medians(timings: Dict[int, float], length: int) -> Tuple[float, float, float]:
    """Median ms over turns 1-20 and over the last 20 turns, and last / first."""
    first = [s for n, s in timings.items() if n <= WINDOW]
    last = [s for n, s in timings.items() if n >= length - WINDOW]
    if not first or not last:
        nan = float("nan")
        return nan, nan, nan
    a, b = percentile(first, 50) * 1000, percentile(last, 50) * 1000
    return a, b, b / a


# --- the two bots ------------------------------------------------------------------------


def rasa_env() -> Dict[str, str]:
    """The moodbot's environment: this one, quiet, Rasa telemetry off."""
    return {**os.environ, **QUIET, "RASA_TELEMETRY_ENABLED": "false"}


def moodbot_model(folder: Path) -> Optional[Path]:
    """The newest trained moodbot model in ``folder/models``, if any."""
    models = sorted((folder / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def init_moodbot(folder: Path) -> Optional[subprocess.Popen]:
    """Start ``rasa init --no-prompt`` into ``folder`` (None if a model is there already)."""
    if moodbot_model(folder) is not None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "init.log", "ab") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [str(VENV_BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(folder)],
            cwd=folder,
            env=rasa_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def stop_init(proc: Optional[subprocess.Popen]) -> None:
    """Kill a ``rasa init`` still training (the run failed before it was needed)."""
    if proc is not None and proc.poll() is None:
        proc.kill()
        proc.wait()


def moodbot_service(folder: Path) -> Service:
    """``rasa run`` of the moodbot with its own credentials and endpoints (in-memory tracker)."""
    model = moodbot_model(folder)
    if model is None:
        raise RuntimeError(f"rasa init trained no model: see {folder / 'init.log'}")
    port = free_port()
    argv = [str(VENV_BIN / "rasa"), "run", "--port", str(port), "--model", str(model)]
    argv += ["--credentials", str(folder / "credentials.yml"), "--endpoints", str(folder / "endpoints.yml")]
    return Service("moodbot", argv, rasa_env(), port, f"http://127.0.0.1:{port}/webhooks/rest/",
                   folder / "moodbot.log", RASA_START_TIMEOUT)  # fmt: skip


def wait_init(proc: Optional[subprocess.Popen], folder: Path, timeout: float = 1200) -> None:
    """Wait for ``rasa init`` to finish training; fail with its log's tail if it did not."""
    if proc is None:
        return
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise RuntimeError(f"rasa init took over {timeout:.0f}s: see {folder / 'init.log'}") from None
    if proc.returncode != 0 or moodbot_model(folder) is None:
        tail = (folder / "init.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"rasa init failed ({proc.returncode}):\n{tail}")


# --- output ------------------------------------------------------------------------------


def load() -> str:
    """The 1-minute load average (a busy machine shows here)."""
    return f"{os.getloadavg()[0]:.1f}"


def machine() -> Dict[str, Any]:
    """Cores, CPU model, Python, load average: printed with every run."""
    return describe_machine()


def table(rows: List[Dict[str, Any]]) -> str:
    """A Markdown table of the rows."""
    lines = [
        "| bot | shoppers | turns | errors | cut | turns/s | p50 ms | p95 ms | p99 ms |",
        "|" + "---|" * 9,
    ]
    for r in rows:
        lines.append(
            f"| {r['bot']} | {r['concurrency']} | {r['turns']} | {r['errors']} | {r['cut']} | "
            f"{r['turns_per_s']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} |"
        )
    return "\n".join(lines)


def step_table(result: Result, script: Script) -> str:
    """Per script step of one crowd: p50/p95 and the share of the level's slowest 5% of turns."""
    lines = [
        f"| {result.bot} x{result.level}: step | turns | p50 ms | p95 ms | share of the turns above p95 |",
        "|---|---|---|---|---|",
    ]
    for r in result.steps(script):
        cells = [f"{r['step']}. {r['text']}", r["turns"], r["p50_ms"], r["p95_ms"], f"{r['slow_share']:.0%}"]
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    return "\n".join(lines)


def ratios(rows: List[Dict[str, Any]], floor: str = "moodbot") -> List[str]:
    """Per level and bot: throughput and p95 next to the floor's, with the goal at 40 shoppers."""
    by = {(r["bot"], r["concurrency"]): r for r in rows}
    out = []
    for (bot, level), r in by.items():
        base = by.get((floor, level))
        if bot == floor or not base or not base["turns_per_s"] or not base["p95_ms"] > 0:
            continue
        tput = r["turns_per_s"] / base["turns_per_s"]
        p95 = r["p95_ms"] / base["p95_ms"]
        goal = ""
        if level == GOAL_LEVEL and (bot == "ours" or bot.startswith("ours-w")):
            met = "met" if tput >= GOAL_THROUGHPUT and p95 <= GOAL_P95 and r["errors"] == 0 else "not met"
            goal = f"  (goal >= {GOAL_THROUGHPUT}x, <= {GOAL_P95:.0f}x, 0 errors: {met})"
        out.append(f"{level:>4} shoppers: {bot}/{floor} throughput {tput:.2f}x, p95 {p95:.2f}x{goal}")
    return out


def print_length(name: str, timings: Dict[str, Dict[int, float]], length: int) -> Dict[str, Any]:
    """Print the window medians of each kind of turn; the same as a dict."""
    report: Dict[str, Any] = {}
    for kind, per_turn in timings.items():
        if not per_turn:
            continue
        first, last, ratio = window_medians(per_turn, length)
        report[kind] = {"first_ms": round(first, 1), "last_ms": round(last, 1), "ratio": round(ratio, 2)}
        print(
            f"{name} {kind:<12} median turns 1-{WINDOW}: {first:7.1f} ms   "
            f"turns {length - WINDOW}-{length}: {last:7.1f} ms   ratio {ratio:.2f}x"
        )
    if "order_status" in report:
        print(f"  (order-status ratio before issue 13: {BEFORE_LENGTH_RATIO}x; goal <= {GOAL_LENGTH_RATIO}x)")
    return report


# --- main --------------------------------------------------------------------------------


def parse(argv: Optional[List[str]]) -> argparse.Namespace:
    """The command line, bounded (levels, turns, seconds, length)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--levels", default="1,10,40,100", help="comma-separated shoppers at once")
    parser.add_argument("--turns", type=int, default=6, help="turns per shopper and level")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="no new turn after this, per level")
    parser.add_argument("--request-timeout", type=float, default=120.0, help="seconds one turn may take")
    parser.add_argument("--small-talk", action="store_true", help="also measure our small talk (ours-talk)")
    parser.add_argument("--quick", action="store_true", help="smoke run: levels 1,10; 3 turns")
    parser.add_argument(
        "--conversation-length", type=int, default=0, metavar="N", help="instead: one shopper, N turns"
    )
    parser.add_argument(
        "--compare-moodbot", action="store_true", help="with --conversation-length: the moodbot's talk too"
    )
    parser.add_argument("--moodbot-dir", type=Path, help="build (or reuse) the moodbot here, not in /tmp")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--sanic-workers", default="", metavar="N,M", help="one stack of ours per worker count (ours-wN)"
    )
    parser.add_argument(
        "--tf-threads", default="", metavar="N,M",
        help="with --sanic-workers: also one stack per RASA_TF_THREADS value (ours-wN-tfT; 0: TF's pool)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.quick:
        args.levels, args.turns = ",".join(map(str, QUICK_LEVELS)), QUICK_TURNS
    args.levels = [int(x) for x in str(args.levels).split(",") if x.strip()]
    args.sanic_workers = [int(x) for x in str(args.sanic_workers).split(",") if x.strip()]
    if any(not 1 <= n <= MAX_WORKERS for n in args.sanic_workers) or (
        args.sanic_workers and args.conversation_length
    ):
        parser.error(f"--sanic-workers: counts 1-{MAX_WORKERS}, not with --conversation-length")
    args.tf_threads = [int(x) for x in str(args.tf_threads).split(",") if x.strip()]
    if args.tf_threads and (not args.sanic_workers or any(not 0 <= t <= 8 for t in args.tf_threads)):
        parser.error("--tf-threads: values 0-8, with --sanic-workers")
    if (
        not args.levels
        or min(args.levels) < 1
        or max(args.levels) > BOUNDS["levels"]
        or not 1 <= args.turns <= BOUNDS["turns"]
        or not 0 < args.max_seconds <= BOUNDS["max_seconds"]
        or args.conversation_length > BOUNDS["length"]
    ):
        parser.error(f"bounded benchmark: {BOUNDS}")
    if args.conversation_length and args.conversation_length <= 2 * WINDOW:
        parser.error(f"--conversation-length needs over {2 * WINDOW} turns (two windows of {WINDOW})")
    return args


def run(args: argparse.Namespace, workdir: Path) -> Dict[str, Any]:
    """Build and start what the mode needs, measure, print; the figures for ``--json``."""
    long_mode = args.conversation_length > 0
    want_moodbot = not long_mode or args.compare_moodbot
    folder = args.moodbot_dir.resolve() if args.moodbot_dir else workdir / "moodbot"
    report: Dict[str, Any] = {"machine": machine()}
    with ExitStack() as running:
        # rasa init trains while our stack loads: both take minutes, neither waits for the other.
        init = init_moodbot(folder) if want_moodbot else None
        running.callback(stop_init, init)
        started = time.perf_counter()
        ours: List[Tuple[str, Stack]] = []
        for name, extra in our_variants(args.sanic_workers, args.tf_threads):
            (workdir / name).mkdir()
            stack: Stack = start_stack(workdir / name, {**BENCH_ENV, **extra})
            running.callback(stack.stop)
            if "SANIC_WORKERS" in extra:
                wait_workers(stack, int(extra["SANIC_WORKERS"]))
            ours.append((name, stack))
            print(f"{name} up in {time.perf_counter() - started:.0f}s ({stack.rasa_url})", flush=True)
        stack = ours[0][1]
        mood_url = ""
        if want_moodbot:
            wait_init(init, folder)
            mood = moodbot_service(folder)
            running.callback(mood.stop)
            mood.start()
            mood_url = f"http://127.0.0.1:{mood.port}"
            print(f"moodbot up after {time.perf_counter() - started:.0f}s ({mood_url})", flush=True)
        if long_mode:
            report["conversation_length"] = measure_length(args, stack.rasa_url, mood_url)
            return report
        people = shoppers_in(stack.db_url, max(args.levels))
        bots: List[Tuple[str, str, Scripts]] = [("moodbot", mood_url, same(MOODBOT_TALK))]
        bots += [(n, s.rasa_url, lambda k: work_script(people[k])) for n, s in ours]
        if args.small_talk:
            bots.append(("ours-talk", stack.rasa_url, same(OURS_TALK)))
        print(f"levels {args.levels}, {args.turns} turns per shopper, <= {args.max_seconds:.0f}s per level")
        timeout = args.request_timeout
        results = asyncio.run(run_crowds(bots, args.levels, args.turns, args.max_seconds, timeout))
    rows = [r.row() for r in results]
    print(table(rows))
    scripts = {name: script for name, _url, script in bots}
    for result, row in zip(results, rows, strict=True):
        row["steps"] = result.steps(scripts[result.bot](0))
        if result.level >= 10 and result.bot != "moodbot":
            print(step_table(result, scripts[result.bot](0)))
    for line in ratios(rows):
        print(line)
    for r in rows:
        for sample in r["error_samples"]:
            print(f"error ({r['bot']} x{r['concurrency']}): {sample}")
    report["rows"] = rows
    return report


def our_variants(workers: Sequence[int], tf_threads: Sequence[int] = ()) -> List[Tuple[str, Dict[str, str]]]:
    """(bot name, extra environment) of each stack of ours: one, or one per worker count
    (and per ``RASA_TF_THREADS`` value when ``tf_threads`` is given)."""
    if not workers:
        return [("ours", {})]
    if not tf_threads:
        return [(f"ours-w{n}", {"SANIC_WORKERS": str(n)}) for n in workers]
    return [
        (f"ours-w{n}-tf{t}", {"SANIC_WORKERS": str(n), "RASA_TF_THREADS": str(t)})
        for n in workers
        for t in tf_threads
    ]


def wait_workers(stack: Stack, count: int) -> None:
    """Wait until ``count`` Rasa workers accept connections (the first one answers sooner)."""
    rasa = stack.services["rasa"].proc
    assert rasa is not None
    wait_until(lambda: len(serving_workers(rasa.pid)) >= count, RASA_START_TIMEOUT, f"{count} Rasa workers")


def measure_length(args: argparse.Namespace, ours_url: str, mood_url: str) -> Dict[str, Any]:
    """The conversation-length mode: ours (and the moodbot's small talk) over N turns."""
    length, timeout = args.conversation_length, args.request_timeout
    print(f"one shopper, {length} turns (load {load()})", flush=True)
    out: Dict[str, Any] = {}
    # Warm-up in another conversation: model graphs, DB connections, the first lookup.
    asyncio.run(long_conversation(ours_url, 2 * WINDOW, LONG_TALK, LONG_ORDER, timeout))
    timings = asyncio.run(long_conversation(ours_url, length, LONG_TALK, LONG_ORDER, timeout))
    out["ours"] = print_length("ours   ", timings, length)
    if mood_url:
        mood_talk = (("hello", answers), ("I am great", answers))
        timings = asyncio.run(long_conversation(mood_url, length, mood_talk, None, timeout))
        out["moodbot"] = print_length("moodbot", timings, length)
    return out


def main(argv: Optional[List[str]] = None) -> int:
    """Run the benchmark; exit 1 if any turn failed."""
    args = parse(argv)
    print(f"machine: {machine()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-crowd-") as tmp:
        report = run(args, Path(tmp))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0 if all(r["errors"] == 0 for r in report.get("rows", [])) else 1


if __name__ == "__main__":
    sys.exit(main())
