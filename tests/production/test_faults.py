"""A dying component must not take the conversation with it.

One real assistant (action server + Rasa, SQLite tracker store) on a PostgreSQL order DB
that the tests can stop, restart and lock. Rasa waits at most ``ACTION_TIMEOUT_SECONDS``
for the action server (ops/resilience.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from ops.cluster import Postgres
from shop.db.models import Order, OrderStatusChange
from shop.db.session import make_engine
from shop.seed.demo import DEMO_ORDERS
from tests.e2e.helpers import payloads, text_of
from tests.e2e.stack import MODEL, Stack, start_stack
from tests.production.conftest import emails_in
from tests.support.postgres import create_database, start_postgres

CANT_LOOK_UP = "can't look that up right now"
ACTION_TIMEOUT = 3
T = TypeVar("T")


@pytest.fixture(scope="module")
def pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Postgres]:
    workdir = tmp_path_factory.mktemp("faults-pg") / "pg"
    url, stop = start_postgres(workdir)
    server = Postgres(workdir, url, stop)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def shop_url(pg: Postgres) -> str:
    return create_database(pg.url, "shop_faults")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, shop_url: str) -> Iterator[Stack]:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: `make test` trains it first")
    running = start_stack(
        tmp_path_factory.mktemp("faults"),
        {"SHOP_DB_URL": shop_url, "ACTION_TIMEOUT_SECONDS": str(ACTION_TIMEOUT)},
    )
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def shop_engine(shop_url: str) -> Iterator[Engine]:
    engine = make_engine(shop_url)
    try:
        yield engine
    finally:
        engine.dispose()


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    started = time.monotonic()
    result = fn()
    return result, time.monotonic() - started


def poll(check: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout:.0f}s")
        time.sleep(0.1)


def assert_apology(replies: list, elapsed: float) -> None:
    assert CANT_LOOK_UP in text_of(replies), replies
    assert "/human_handoff" in payloads(replies)
    assert elapsed < 5, f"answered after {elapsed:.1f}s"


def assert_recovered(stack: Stack, sender: str, ask: str, number: str, email: str) -> None:
    """Asking again works: straight away (the email given before is still in the tracker's
    slots) or after the bot asks for it once more."""
    reply = text_of(stack.say(sender, ask))
    if f"Order #{number}" not in reply:
        assert "email" in reply.lower(), reply
        reply = text_of(stack.say(sender, email))
    assert f"Order #{number}" in reply


def test_action_server_killed_bot_offers_a_person_then_recovers(stack: Stack, sender: str) -> None:
    number, email = DEMO_ORDERS["shipped"]
    assert "email" in text_of(stack.say(sender, f"where is my order #{number}?")).lower()
    stack.stop_role("actions", kill=True)
    try:
        replies, elapsed = timed(lambda: stack.say(sender, email))
        assert_apology(replies, elapsed)
        # Still down: small talk is Rasa's own and keeps working.
        assert "assistant" in text_of(stack.say(sender, "hello"))
    finally:
        stack.start_actions()
    assert_recovered(stack, sender, f"where is my order #{number}?", number, email)


def test_order_db_unreachable_bot_offers_a_person_then_recovers(
    stack: Stack, pg: Postgres, sender: str
) -> None:
    number, email = DEMO_ORDERS["delivered_recent"]
    assert "email" in text_of(stack.say(sender, f"has order {number} arrived?")).lower()
    pg.stop()
    try:
        replies, elapsed = timed(lambda: stack.say(sender, email))
        assert_apology(replies, elapsed)
    finally:
        pg.start()
    assert_recovered(stack, sender, f"has order {number} arrived?", number, email)


def test_rasa_restarted_mid_form_conversation_continues(stack: Stack, sender: str) -> None:
    number, email = DEMO_ORDERS["processing"]
    assert "email" in text_of(stack.say(sender, f"I want to cancel order {number}")).lower()
    stack.stop_role("rasa")
    stack.start_rasa()
    ask = stack.say(sender, email)
    assert "Do you want me to cancel it?" in text_of(ask)
    assert "stays as it is" in text_of(stack.say(sender, "no"))


def test_cancel_retried_after_a_timeout_is_applied_once(
    stack: Stack, sender: str, shop_engine: Engine
) -> None:
    number, email = DEMO_ORDERS["pending"]
    stack.say(sender, f"please cancel order {number}")
    assert "Do you want me to cancel it?" in text_of(stack.say(sender, email))

    def status() -> str:
        with shop_engine.connect() as conn:
            return str(conn.scalar(select(Order.status).where(Order.order_number == number)))

    # Hold the order's row lock so the cancel blocks in the DB past Rasa's action timeout.
    with shop_engine.begin() as conn:
        conn.execute(select(Order.id).where(Order.order_number == number).with_for_update())
        replies, elapsed = timed(lambda: stack.say(sender, "yes"))
        assert_apology(replies, elapsed)
        assert status() == "pending"
    # The lock is gone: the cancel the shopper was told about completes in the background.
    poll(lambda: status() == "cancelled", what="background cancel")
    retry = stack.say(sender, f"cancel order {number}") + stack.say(sender, "yes")
    assert f"Order #{number} is already cancelled" in text_of(retry)
    with shop_engine.connect() as conn:
        order_id = conn.scalar(select(Order.id).where(Order.order_number == number))
        changes = conn.scalar(
            select(func.count())
            .select_from(OrderStatusChange)
            .where(OrderStatusChange.order_id == order_id, OrderStatusChange.to_status == "cancelled")
        )
    assert changes == 1


def test_fault_logs_carry_no_email(stack: Stack) -> None:
    """Runs last in this module: the logs then include every fault path above."""
    logs = [p for p in Path(stack.workdir).glob("*.log")]
    assert logs
    assert emails_in(logs) == {}


@pytest.fixture
def sender() -> str:
    import uuid

    return f"fault-{uuid.uuid4().hex[:12]}"
