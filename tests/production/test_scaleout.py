"""Two Rasa replicas on one PostgreSQL tracker store and one Redis lock store, next to one.

200 concurrent conversations, first all on one replica, then each turn sent to the other
replica than the turn before; after each run every tracker (read back from a replica that
did not answer its last turn) holds exactly the user and bot events that were exchanged.
Throughput and p95 of both runs are printed and attached as the test's ``scaleout``
property: figures only, speed is not asserted (benchmarks/bench_scaleout.py measures it).
"""

from __future__ import annotations

import asyncio
import warnings
from typing import Callable

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from harness.cluster import Cluster
from harness.scaleout import Report, compare, run_conversations, warm_up
from tests.production.conftest import emails_in

CONVERSATIONS = 200
IN_FLIGHT = 48


class ScaleOutFigures(UserWarning):
    """The scale-out figures: a warning so `make test`'s summary shows them from any xdist worker."""


def _stored(cluster: Cluster, run_id: str) -> int:
    """How many conversations of ``run_id`` the PostgreSQL tracker store holds."""
    tracker_url = make_url(cluster.postgres.url).set(database="tracker")  # type: ignore[union-attr]
    engine = create_engine(tracker_url, future=True)
    try:
        with engine.connect() as conn:
            # REST senders are namespaced by channel on the server: rest:<client id>.
            query = text("SELECT count(DISTINCT sender_id) FROM events WHERE sender_id LIKE :like")
            return int(conn.scalar(query, {"like": f"rest:scale-{run_id}-%"}) or 0)
    finally:
        engine.dispose()


def _lock_calls(cluster: Cluster) -> int:
    """Redis SET calls so far (every turn takes its conversation's lock with one)."""
    client = redis.Redis(host=cluster.env["REDIS_HOST"], port=int(cluster.env["REDIS_PORT"]))
    try:
        return int(client.info("commandstats").get("cmdstat_set", {}).get("calls", 0))
    finally:
        client.close()


def _run(cluster: Cluster, replicas: int, run_id: str) -> Report:
    urls, everyone = cluster.rasa_urls[:replicas], cluster.rasa_urls
    report = asyncio.run(
        run_conversations(urls, cluster.token, CONVERSATIONS, IN_FLIGHT, run_id=run_id, check_urls=everyone)
    )
    summary = report.summary()
    assert report.errors == 0, summary
    assert not report.broken, summary
    assert report.turns == CONVERSATIONS * 4, summary
    # The conversations really live in PostgreSQL.
    assert _stored(cluster, run_id) == CONVERSATIONS
    return report


def test_one_replica_and_two_lose_and_duplicate_no_message(
    cluster: Cluster, record_property: Callable[[str, object], None]
) -> None:
    assert len(cluster.rasa_urls) == 2
    asyncio.run(warm_up(cluster.rasa_urls, cluster.token, run_id="warm"))
    locks_before = _lock_calls(cluster)
    one = _run(cluster, 1, "one")
    two = _run(cluster, 2, "two")
    # ... and every turn of both runs took its conversation's lock in Redis.
    assert _lock_calls(cluster) - locks_before >= 2 * CONVERSATIONS * 4

    ratio = compare(one, two)
    figures = (
        f"scale-out: {one.line()} | {two.line()} | two/one throughput {ratio['throughput']}x, "
        f"p95 {ratio['p95']}x"
    )
    record_property("scaleout", {"one": one.summary(), "two": two.summary(), "two_over_one": ratio})
    print(figures)
    warnings.warn(ScaleOutFigures(figures), stacklevel=1)


def test_logs_of_the_cluster_carry_no_email(cluster: Cluster) -> None:
    asyncio.run(run_conversations(cluster.rasa_urls, cluster.token, 6, run_id="logs"))
    assert emails_in(cluster.logs()) == {}
