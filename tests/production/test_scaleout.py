"""Two Rasa replicas on one PostgreSQL tracker store and one Redis lock store.

200 concurrent conversations, each turn sent to the other replica than the turn before;
afterwards every tracker holds exactly the user and bot events that were exchanged.
"""

from __future__ import annotations

import asyncio

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from harness.cluster import Cluster
from harness.scaleout import run_conversations
from tests.production.conftest import emails_in

CONVERSATIONS = 200


def test_alternating_replicas_lose_and_duplicate_no_message(cluster: Cluster) -> None:
    report = asyncio.run(
        run_conversations(cluster.rasa_urls, cluster.token, CONVERSATIONS, max_in_flight=48, run_id="t")
    )
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


def test_logs_of_the_cluster_carry_no_email(cluster: Cluster) -> None:
    asyncio.run(run_conversations(cluster.rasa_urls, cluster.token, 6, run_id="logs"))
    assert emails_in(cluster.logs()) == {}
