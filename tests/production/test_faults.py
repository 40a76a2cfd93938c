"""A dying component must not take the conversation with it.

One real assistant (action server + Rasa, SQLite tracker store) on a PostgreSQL order DB
that the tests can stop, restart and lock. Rasa waits at most ``ACTION_TIMEOUT_SECONDS``
for the action server (ops/resilience.py).
"""

from __future__ import annotations

import json
import re
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
import requests
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from harness.postgres import Postgres, create_database, launch_postgres
from harness.processes import wait_until
from harness.stack import Stack, start_stack
from harness.webapps import storefront as web_storefront
from shop.db.models import Customer, Order, OrderStatusChange, Product, ProductVariant, Return
from shop.db.pricing_models import CouponRedemption, CouponRow
from shop.db.session import make_engine
from shop.seed.demo import DEMO_CUSTOMERS, DEMO_ORDERS
from tests.e2e.helpers import payloads, pick_order, text_of
from tests.production.conftest import emails_in

CANT_LOOK_UP = "can't look that up right now"  # Rasa's own: the action server didn't answer
CANT_CHECK = "can't check that right now"  # the action's fail-closed lookup (actions/identity.py)
ACTION_TIMEOUT = 3
T = TypeVar("T")


@pytest.fixture(scope="module")
def pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Postgres]:
    server = launch_postgres(tmp_path_factory.mktemp("faults-pg") / "pg")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def shop_url(pg: Postgres) -> str:
    return create_database(pg.url, "shop_faults")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, shop_url: str) -> Iterator[Stack]:
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


def assert_apology(replies: list, elapsed: float, wording: str = CANT_LOOK_UP) -> None:
    assert wording in text_of(replies), replies
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
        assert_apology(replies, elapsed, CANT_CHECK)
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

    # Hold the order's row lock past the order DB's lock timeout (shop/db/session.py, 2 s): the
    # cancel gives up instead of waiting, the shopper is offered a person, nothing changes.
    with shop_engine.begin() as conn:
        conn.execute(select(Order.id).where(Order.order_number == number).with_for_update())
        replies, elapsed = timed(lambda: stack.say(sender, "yes"))
        assert_apology(replies, elapsed)
        assert lock_waiters(shop_engine) == 0  # the cancel gave up; it won't land later
        assert status() == "pending"
    assert status() == "pending"
    # The lock is gone: the shopper asks again and the cancel is applied, once.
    retry = text_of(stack.say(sender, f"cancel order {number}"))
    if "Do you want me to cancel it?" not in retry:
        retry += text_of(stack.say(sender, email))
    retry += text_of(stack.say(sender, "yes"))
    assert f"Done: order #{number} is cancelled" in retry, retry
    assert status() == "cancelled"
    again = stack.say(sender, f"cancel order {number}") + stack.say(sender, "yes")
    assert f"Order #{number} is already cancelled" in text_of(again)
    with shop_engine.connect() as conn:
        order_id = conn.scalar(select(Order.id).where(Order.order_number == number))
        changes = conn.scalar(
            select(func.count())
            .select_from(OrderStatusChange)
            .where(OrderStatusChange.order_id == order_id, OrderStatusChange.to_status == "cancelled")
        )
    assert changes == 1


def hang_up_mid_turn(stack: Stack, sender: str, text: str, until: Callable[[], bool]) -> None:
    """Send a turn, wait until ``until()`` (the server is mid-action), then drop the connection
    without reading the answer: a client whose timeout fired."""
    body = json.dumps({"sender": sender, "message": text}).encode()
    head = (
        f"POST /webhooks/rest/webhook HTTP/1.1\r\nHost: 127.0.0.1:{stack.rasa_port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", stack.rasa_port), timeout=30) as conn:
        conn.sendall(head + body)
        wait_until(until, what="the turn to reach the database")


def lock_waiters(engine: Engine) -> int:
    """Sessions waiting for a row lock (the action blocked behind the test's lock)."""
    with engine.connect() as conn:
        return int(conn.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted")) or 0)


def test_return_retried_after_a_client_timeout_is_applied_once(
    stack: Stack, sender: str, shop_engine: Engine
) -> None:
    shop_db = sessionmaker(bind=shop_engine, future=True)
    number, email = pick_order(shop_db, "delivered", returnable=True)

    def rmas() -> list[str]:
        with shop_engine.connect() as conn:
            return list(
                conn.scalars(
                    select(Return.rma_number)
                    .join(Order, Order.id == Return.order_id)
                    .where(Order.order_number == number)
                )
            )

    stack.say(sender, f"I'd like to return something from order {number}")
    ask_item = stack.say(sender, email)
    items = [p for p in payloads(ask_item) if "return_selection" in p]
    assert items, text_of(ask_item)
    stack.say(sender, items[0])
    assert "estimated refund" in text_of(stack.say(sender, "the strap tore"))

    # Hold the order's row lock so the return blocks in the DB; hang up while it waits.
    with shop_engine.begin() as conn:
        conn.execute(select(Order.id).where(Order.order_number == number).with_for_update())
        hang_up_mid_turn(stack, sender, "yes", until=lambda: lock_waiters(shop_engine) > 0)
        assert rmas() == []
    # The server finishes the turn the client gave up on.
    wait_until(lambda: len(rmas()) == 1, what="the return the client gave up on")
    (rma,) = rmas()

    retry = text_of(stack.say(sender, "yes"))
    if rma not in retry:  # the form was already done: the shopper starts the return again
        retry += text_of(stack.say(sender, f"I want to return order {number}"))
        if "already" not in retry:
            retry += text_of(stack.say(sender, email))
    assert rma in retry or "already" in retry, retry
    assert rmas() == [rma]


@pytest.fixture(scope="module")
def storefront(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo storefront on the stack's order DB, as ``python -m web`` runs it."""
    log = tmp_path_factory.mktemp("storefront") / "storefront.log"
    with web_storefront(stack.env, log, sys.executable) as app:
        yield app.url


def csrf_of(page: str) -> str:
    """The session's CSRF token, from the page's ``<meta name="csrf-token">``."""
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert found, page
    return found.group(1)


def test_checkout_retried_after_a_client_timeout_is_applied_once(
    storefront: str, shop_engine: Engine
) -> None:
    with shop_engine.connect() as conn:
        customer_id = conn.scalar(select(Customer.id).where(Customer.email == list(DEMO_CUSTOMERS)[-1]))
        sku, variant_id = conn.execute(
            select(Product.sku, ProductVariant.id)
            .join(Product, Product.id == ProductVariant.product_id)
            .where(Product.price >= 60, ProductVariant.stock > 2)
            .order_by(ProductVariant.id)
            .limit(1)
        ).one()

    def state() -> tuple[int, int, int]:
        with shop_engine.connect() as conn:
            orders = conn.scalar(
                select(func.count()).select_from(Order).where(Order.customer_id == customer_id)
            )
            uses = conn.scalar(
                select(func.count())
                .select_from(CouponRedemption)
                .where(CouponRedemption.customer_id == customer_id, CouponRedemption.code == "SAVE10")
            )
            count = conn.scalar(select(CouponRow.usage_count).where(CouponRow.code == "SAVE10"))
            return int(orders or 0), int(uses or 0), int(count or 0)

    browser = requests.Session()
    csrf = csrf_of(browser.get(f"{storefront}/", timeout=30).text)  # every POST carries it
    signin = {"customer_id": str(customer_id), "next": "/", "csrf_token": csrf}
    browser.post(f"{storefront}/signin", data=signin, timeout=30).raise_for_status()
    csrf = csrf_of(browser.get(f"{storefront}/", timeout=30).text)  # signing in may renew the session
    add = {"sku": sku, "variant_id": str(variant_id), "csrf_token": csrf}
    browser.post(f"{storefront}/cart/add", data=add, timeout=30).raise_for_status()
    page = browser.get(f"{storefront}/checkout", params={"code": "SAVE10"}, timeout=30).text
    assert "SAVE10: -$" in page, page
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    form = {"idempotency_key": key, "csrf_token": csrf_of(page), "code": "SAVE10",
            "name": "Retry Tester", "street": "1 Test St", "city": "Testville",
            "postcode": "12345", "country": "US"}  # fmt: skip
    before = state()

    # Hold SAVE10's row lock: the redemption's conditional UPDATE waits, the client gives up.
    with shop_engine.begin() as conn:
        conn.execute(select(CouponRow.id).where(CouponRow.code == "SAVE10").with_for_update())
        with pytest.raises(requests.Timeout):
            browser.post(f"{storefront}/checkout", data=form, timeout=1.0, allow_redirects=False)
        assert state() == before
    wait_until(lambda: state()[0] == before[0] + 1, what="the checkout the client gave up on")

    retry = browser.post(f"{storefront}/checkout", data=form, timeout=30, allow_redirects=False)
    assert retry.status_code == 303, retry.text
    number = retry.headers["Location"].rsplit("/", 1)[1]
    with shop_engine.connect() as conn:
        placed = conn.scalars(
            select(Order.order_number).where(Order.customer_id == customer_id).order_by(Order.id.desc())
        ).first()
    assert number == placed
    assert state() == (before[0] + 1, before[1] + 1, before[2] + 1)
    confirmation = browser.get(f"{storefront}{retry.headers['Location']}", timeout=30).text
    assert f'id="order-number">{number}<' in confirmation


def test_fault_logs_carry_no_email(stack: Stack) -> None:
    """Runs last in this module: the logs then include every fault path above."""
    logs = [p for p in Path(stack.workdir).glob("*.log")]
    assert logs
    assert emails_in(logs) == {}


@pytest.fixture
def sender() -> str:
    import uuid

    return f"fault-{uuid.uuid4().hex[:12]}"
