"""Ingestion: summaries, facets, inbox candidates, CSAT, and reading only new events."""

from __future__ import annotations

import json

from sqlalchemy import select

from console import db
from console.ingest import Ingestor
from console.training import TrainingIndex
from tests.console.conftest import BASE_TS, Env, action, user


def _ingestor(env: Env) -> tuple[Ingestor, object]:
    engine = db.make_engine(env.settings.console_db_url)
    db.ensure_schema(engine)
    training = TrainingIndex(env.settings.nlu_dir, env.settings.domain_file, exclude=env.settings.export_file)
    return Ingestor(engine, db.make_engine(env.settings.tracker_url), training, batch_size=7), engine


def _summary(engine, sender: str) -> dict:
    with engine.connect() as conn:
        return dict(
            conn.execute(select(db.conversations).where(db.conversations.c.sender_id == sender))
            .one()
            ._mapping
        )


def test_ingest_summarises_each_conversation(env: Env) -> None:
    ingestor, engine = _ingestor(env)
    result = ingestor.run()
    assert result.conversations >= 3 and result.events > 0
    order = _summary(engine, "conv-order")
    assert (order["channel"], order["turns"], order["fallback"], order["handoff"]) == (
        "rest",
        2,
        False,
        False,
    )
    assert order["min_confidence"] == 0.91
    assert order["last_action"] == "action_order_status"
    assert json.loads(order["slots"])["order_id"] == "104523"
    fallback = _summary(engine, "conv-fallback")
    assert (fallback["channel"], fallback["fallback"], fallback["fallback_count"]) == ("socketio", True, 4)
    assert fallback["min_confidence"] == 0.18
    handoff = _summary(engine, "conv-handoff")
    assert (handoff["handoff"], handoff["paused"], handoff["channel"]) == (True, True, "telegram")
    with engine.connect() as conn:
        facets = set(
            conn.execute(
                select(db.facets.c.kind, db.facets.c.value).where(db.facets.c.sender_id == "conv-order")
            )
        )
        ratings = conn.execute(select(db.csat_ratings.c.sender_id, db.csat_ratings.c.score)).all()
    assert {("intent", "order_status"), ("entity", "email"), ("slot", "order_id=104523")} <= facets
    assert ratings == [("conv-order", 5)]


def test_inbox_gets_only_messages_not_in_the_training_data(env: Env) -> None:
    ingestor, engine = _ingestor(env)
    ingestor.run()
    with engine.connect() as conn:
        texts = set(conn.execute(select(db.nlu_inbox.c.text)).scalars())
    assert "blorp the flanges" in texts
    assert "where is my order 104523" in texts
    assert "where is my order" not in texts  # a training example in data/nlu/orders.yml


def test_second_run_reads_only_new_events(env: Env) -> None:
    ingestor, engine = _ingestor(env)
    first = ingestor.run()
    assert ingestor.run().events == 0
    env.tracker.add(
        "conv-order",
        [user("thanks!!! bye now", "thank_you", 0.8, BASE_TS + 20), action("utter_welcome", BASE_TS + 21)],
    )
    env.tracker.add("conv-new", [user("hello there friend", "greet", 0.9, BASE_TS + 30)])
    again = ingestor.run()
    assert again.events == 3  # two appended to conv-order, one in conv-new
    assert again.last_event_id > first.last_event_id
    order = _summary(engine, "conv-order")
    assert order["turns"] == 3 and order["last_intent"] == "thank_you" and order["min_confidence"] == 0.8
    with engine.connect() as conn:
        count = conn.execute(
            select(db.facets.c.count).where(
                db.facets.c.sender_id == "conv-order",
                db.facets.c.kind == "intent",
                db.facets.c.value == "order_status",
            )
        ).scalar_one()
    assert count == 1  # nothing counted twice
