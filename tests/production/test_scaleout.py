"""Two Rasa replicas on one PostgreSQL tracker store and one Redis lock store.

200 concurrent conversations, each turn sent to the other replica than the turn before;
afterwards every tracker holds exactly the user and bot events that were exchanged. The
action server runs as two processes (``ACTION_SERVER_SANIC_WORKERS=2``): both must have
served the crowd, and the lookup limit they enforce is counted in Redis, one counter per
conversation whichever process answered.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from harness.cluster import Cluster
from harness.scaleout import run_conversations
from shop.lookup_rate import hashed
from tests.production.conftest import emails_in

CONVERSATIONS = 200


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_alternating_replicas_lose_and_duplicate_no_message(cluster: Cluster) -> None:
    processes = cluster.action_processes
    assert len(processes) == 2, processes
    before = {pid: _cpu_seconds(pid) for pid in processes}
    report = asyncio.run(
        run_conversations(cluster.rasa_urls, cluster.token, CONVERSATIONS, max_in_flight=48, run_id="t")
    )
    used = {pid: _cpu_seconds(pid) - before[pid] for pid in processes}
    summary = report.summary()
    assert report.errors == 0, summary
    assert not report.broken, summary
    assert report.turns == CONVERSATIONS * 4

    # The conversations really live in PostgreSQL ...
    tracker_url = make_url(cluster.postgres.url).set(database="tracker")  # type: ignore[union-attr]
    engine = create_engine(tracker_url, future=True)
    try:
        with engine.connect() as conn:
            stored = conn.scalar(
                # REST senders are namespaced by channel on the server: rest:<client id>.
                text("SELECT count(DISTINCT sender_id) FROM events WHERE sender_id LIKE 'rest:scale-t-%'")
            )
    finally:
        engine.dispose()
    assert stored == CONVERSATIONS
    # ... and every turn took its conversation's lock in Redis.
    client = redis.Redis(host=cluster.env["REDIS_HOST"], port=int(cluster.env["REDIS_PORT"]))
    stats = client.info("commandstats")
    assert stats.get("cmdstat_set", {}).get("calls", 0) >= CONVERSATIONS * 4

    # Both action-server processes served the crowd (an idle one uses next to no CPU) ...
    assert all(seconds > 0.1 * sum(used.values()) for seconds in used.values()), used
    # ... and counted each conversation's order lookup in Redis, where both read it.
    limits = redis.Redis.from_url(cluster.env["SHOP_RATE_LIMIT_REDIS_URL"])
    counted = {key.decode().split(":")[3] for key in limits.scan_iter("shop:ratelimit:c:*")}
    senders = {hashed(f"rest:scale-t-{index:04d}") for index in range(CONVERSATIONS)}
    assert senders <= counted, len(senders - counted)


def test_logs_of_the_cluster_carry_no_email(cluster: Cluster) -> None:
    asyncio.run(run_conversations(cluster.rasa_urls, cluster.token, 6, run_id="logs"))
    assert emails_in(cluster.logs()) == {}
