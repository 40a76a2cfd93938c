"""Prove the scale-out: many concurrent conversations whose turns alternate between Rasa
replicas that share the PostgreSQL tracker store and the Redis lock store; afterwards every
conversation's tracker must hold exactly the expected user and bot events, in order.

The same load against one replica of the cluster (``urls[:1]``, trackers still read back
from the other) is the baseline the two-replica figures are set beside (:func:`compare`;
``benchmarks/bench_scaleout.py`` measures both in one run).

    python -m harness.scaleout --conversations 200      # or scripts/scaleout.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import aiohttp

from shop.seed.demo import DEMO_ORDERS
from shop.stats import summary

# Orders whose status reply is stable however often it is asked (status lookups only).
STATUS_ORDERS = ("shipped", "delivered_recent", "processing", "pending", "delivered_old", "cancelled")


@dataclass
class Turn:
    """One shopper message, the replica it goes to, what its answer must contain, and what came back."""

    text: str
    replica: int
    expect: str
    replies: List[Dict[str, Any]] = field(default_factory=list)
    latency: float = 0.0
    error: Optional[str] = None


@dataclass
class Conversation:
    """One simulated shopper's turns and what went wrong in them."""

    sender: str
    turns: List[Turn]
    problems: List[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True if every turn was answered as expected and the tracker holds them in order."""
        return not self.problems


@dataclass
class Report:
    """The outcome of a load run: counts, broken conversations, latencies."""

    conversations: int
    turns: int
    errors: int
    broken: List[Conversation]
    seconds: float
    latencies: List[float]
    replicas: int = 1
    max_in_flight: int = 0

    @property
    def ok(self) -> bool:
        """True if no request failed and no conversation broke."""
        return self.errors == 0 and not self.broken

    @property
    def turns_per_second(self) -> float:
        """Turns sent (answered or failed) per second of the load, tracker checks excluded."""
        return self.turns / self.seconds if self.seconds else 0.0

    def summary(self) -> Dict[str, Any]:
        """The figures printed as JSON: throughput, latency percentiles, a few broken examples."""
        lat = summary(self.latencies or [0.0])
        return {
            "replicas": self.replicas,
            "max_in_flight": self.max_in_flight,
            "conversations": self.conversations,
            "turns": self.turns,
            "errors": self.errors,
            "broken_conversations": len(self.broken),
            "seconds": round(self.seconds, 2),
            "turns_per_second": round(self.turns_per_second, 2),
            "p50_ms": round(lat.p50 * 1000),
            "p95_ms": round(lat.p95 * 1000),
            "p99_ms": round(lat.p99 * 1000),
            "examples": [c.problems[:3] for c in self.broken[:3]],
        }

    def line(self) -> str:
        """One human-readable line of the figures (what the test and the benchmark print)."""
        s = self.summary()
        return (
            f"{self.replicas} replica{'s' if self.replicas != 1 else ''}, {self.max_in_flight} in flight: "
            f"{s['conversations']} conversations, {s['turns']} turns, {s['errors']} errors, "
            f"{s['broken_conversations']} broken, {s['turns_per_second']} turns/s, "
            f"p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms, p99 {s['p99_ms']} ms"
        )


def compare(one: Report, two: Report) -> Dict[str, float]:
    """Two replicas over one: throughput ratio (higher is better) and p50/p95 ratios (lower is)."""
    a, b = one.summary(), two.summary()

    def ratio(x: float, y: float) -> float:
        return round(y / x, 2) if x else float("nan")

    return {
        "throughput": ratio(a["turns_per_second"], b["turns_per_second"]),
        "p50": ratio(a["p50_ms"], b["p50_ms"]),
        "p95": ratio(a["p95_ms"], b["p95_ms"]),
    }


def script(index: int, replicas: int, run_id: str) -> Conversation:
    """greet -> order status with number -> email -> thanks; turn n goes to replica (index + n) % replicas.

    Every turn goes to another replica than the turn before, and conversations start on the
    replicas in turn, as a load balancer spreads them: were every first turn sent to replica
    0, it alone would get every greeting (a new session) and every email (the identity
    check), the two turns that cost most, while replica 1 got the cheap ones.
    """
    number, email = DEMO_ORDERS[STATUS_ORDERS[index % len(STATUS_ORDERS)]]
    steps: List[Tuple[str, str]] = [
        ("hello", "assistant"),
        (f"where is my order #{number}?", "email"),
        (email, f"Order #{number}"),
        ("thanks!", "welcome"),
    ]
    return Conversation(
        sender=f"scale-{run_id}-{index:04d}",
        turns=[Turn(text, (index + n) % replicas, expect) for n, (text, expect) in enumerate(steps)],
    )


async def _turn(
    session: aiohttp.ClientSession, url: str, sender: str, turn: Turn, limit: asyncio.Semaphore
) -> None:
    async with limit:
        started = time.perf_counter()
        try:
            async with session.post(
                f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": turn.text}
            ) as resp:
                body = await resp.text()
                if resp.status != 200:
                    turn.error = f"HTTP {resp.status}"
                else:
                    turn.replies = list(json.loads(body))
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            turn.error = type(exc).__name__
        turn.latency = time.perf_counter() - started


async def _conversation(
    session: aiohttp.ClientSession, urls: Sequence[str], convo: Conversation, limit: asyncio.Semaphore
) -> None:
    for turn in convo.turns:
        await _turn(session, urls[turn.replica], convo.sender, turn, limit)
        if turn.error:
            convo.problems.append(f"turn {turn.text!r} on replica {turn.replica}: {turn.error}")
            return
        said = "\n".join(r.get("text") or "" for r in turn.replies)
        if turn.expect not in said:
            convo.problems.append(f"turn {turn.text!r}: expected {turn.expect!r} in {said!r}")


def expected_events(convo: Conversation) -> List[Tuple[str, Optional[str]]]:
    """The user and bot events the tracker must hold, from what was sent and answered."""
    events: List[Tuple[str, Optional[str]]] = []
    for turn in convo.turns:
        events.append(("user", turn.text))
        events.extend(("bot", r.get("text")) for r in turn.replies)
    return events


def tracker_events(tracker: Dict[str, Any]) -> List[Tuple[str, Optional[str]]]:
    """The user and bot events of a stored tracker as (event, text), in order."""
    return [
        (e["event"], e.get("text")) for e in tracker.get("events", []) if e.get("event") in ("user", "bot")
    ]


async def _check_tracker(
    session: aiohttp.ClientSession, url: str, token: str, convo: Conversation, limit: asyncio.Semaphore
) -> None:
    async with limit:
        async with session.get(
            f"{url}/conversations/rest:{convo.sender}/tracker", params={"token": token}
        ) as resp:
            if resp.status != 200:
                convo.problems.append(f"tracker: HTTP {resp.status}")
                return
            tracker = await resp.json()
    got, want = tracker_events(tracker), expected_events(convo)
    if got != want:
        convo.problems.append(f"tracker events differ: want {want} got {got}")


def _reader(check_urls: Sequence[str], answered_last: str, index: int) -> str:
    """A replica to read a tracker back from: one that did not answer its last turn, if any."""
    others = [u for u in check_urls if u != answered_last] or list(check_urls)
    return others[index % len(others)]


async def run_conversations(
    urls: Sequence[str],
    token: str,
    conversations: int = 200,
    max_in_flight: int = 64,
    request_timeout: float = 60.0,
    run_id: Optional[str] = None,
    check_urls: Optional[Sequence[str]] = None,
) -> Report:
    """Drive ``conversations`` at once (at most ``max_in_flight`` requests), then verify trackers.

    Turns alternate over ``urls``; each tracker is read back from a replica of ``check_urls``
    (default ``urls``) other than the one that answered its last turn, so a one-replica run
    (``urls[:1]``, ``check_urls`` the whole cluster) still proves the shared tracker store.
    """
    run_id = run_id or f"{int(time.time())}"
    readers = list(check_urls or urls)
    convos = [script(i, len(urls), run_id) for i in range(conversations)]
    limit = asyncio.Semaphore(max_in_flight)
    timeout = aiohttp.ClientTimeout(total=request_timeout)
    connector = aiohttp.TCPConnector(limit=max_in_flight)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(_conversation(session, urls, c, limit) for c in convos))
        seconds = time.perf_counter() - started
        # Read each tracker from a replica that did *not* answer the last turn.
        await asyncio.gather(
            *(
                _check_tracker(session, _reader(readers, urls[c.turns[-1].replica], i), token, c, limit)
                for i, c in enumerate(convos)
                if c.ok
            )
        )
    turns = [t for c in convos for t in c.turns if t.replies or t.error]
    return Report(
        conversations=conversations,
        turns=len(turns),
        errors=sum(1 for t in turns if t.error),
        broken=[c for c in convos if not c.ok],
        seconds=seconds,
        latencies=[t.latency for t in turns if not t.error],
        replicas=len(urls),
        max_in_flight=max_in_flight,
    )


async def warm_up(urls: Sequence[str], token: str, run_id: str = "warm") -> None:
    """A few unmeasured conversations on every replica (model graphs, DB and Redis connections).

    Without it the first measured run pays each process's first turns; raises if one broke.
    """
    for index, url in enumerate(urls):
        report = await run_conversations([url], token, 6, 6, run_id=f"{run_id}{index}", check_urls=urls)
        if not report.ok:
            raise RuntimeError(f"warm-up on {url} failed: {report.summary()}")


def main(argv: Optional[List[str]] = None) -> int:
    """Start a cluster, run the load, print the report; exit status 0 only if nothing broke."""
    from harness.cluster import start_cluster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--max-in-flight", type=int, default=64)
    parser.add_argument("--action-processes", type=int, default=2, help="ACTION_SERVER_SANIC_WORKERS")
    parser.add_argument("--keep", action="store_true", help="leave the cluster running until Ctrl-C")
    args = parser.parse_args(argv)
    if (
        not 1 <= args.conversations <= 2000
        or not 1 <= args.max_in_flight <= 256
        or not 1 <= args.action_processes <= 8
    ):
        parser.error(
            "--conversations 1..2000, --max-in-flight 1..256, --action-processes 1..8 (loopback load test)"
        )
    print(f"starting PostgreSQL, Redis, {args.action_processes} action-server processes and", args.replicas,
          "Rasa replicas ...", flush=True)  # fmt: skip
    cluster = start_cluster(
        replicas=args.replicas, extra_env=LOAD_TEST_ENV, action_processes=args.action_processes
    )
    try:
        print("replicas:", ", ".join(cluster.rasa_urls), "logs:", cluster.workdir, flush=True)
        report = asyncio.run(
            run_conversations(cluster.rasa_urls, cluster.token, args.conversations, args.max_in_flight)
        )
        print(json.dumps(report.summary(), indent=2))
        if args.keep:
            print("Ctrl-C to stop", flush=True)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
        return 0 if report.ok else 1
    finally:
        cluster.stop()


#: Every simulated shopper comes from 127.0.0.1, so the per-source lookup limit (meant for
#: one client hammering many conversations) is lifted for loopback load tests.
LOAD_TEST_ENV = {"SHOP_LOOKUP_RATE_PER_SOURCE": "0"}


if __name__ == "__main__":
    sys.exit(main())
