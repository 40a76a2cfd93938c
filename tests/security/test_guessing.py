"""Guessing an order's email (or an email's order) is bounded, whatever the attacker rotates.

Against the real running assistant over REST: failures count per order number, per email
and per client address across all senders, a lock answers the same whether or not the
order exists (when to retry, and a person), and a flood of handoff requests is bounded.

The stack exempts 127.0.0.1 (every other test's address) from per-address limits, so the
per-address tests bind their client to another loopback address (Linux accepts any 127/8).
"""

from __future__ import annotations

import re
import uuid
from typing import Any, Dict, List, Optional

import requests
from requests.adapters import HTTPAdapter
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker
from urllib3 import PoolManager

from harness.stack import Stack
from shop.config import Settings
from shop.db.models import Customer, HandoffRequest, LookupAttempt, Order
from shop.identity import lookup_key
from shop.seed.demo import DEMO_ORDERS
from tests.e2e import helpers
from tests.e2e.helpers import payloads, pick_order, text_of

DETAIL_WORDS = ("Items:", "Total:", "tracking number", "Carrier", "on its way", "Expected delivery")
DEFAULTS = Settings()


class SourceAddressAdapter(HTTPAdapter):
    """Connections from a chosen local address (e.g. 127.0.0.2)."""

    def __init__(self, address: str) -> None:
        self._address = address
        super().__init__()

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **kwargs: Any) -> None:
        self.poolmanager = PoolManager(
            num_pools=connections, maxsize=maxsize, block=block, source_address=(self._address, 0)
        )


class Client:
    """A REST shopper from ``address``; ``fresh()`` gives a new sender id each time."""

    def __init__(self, stack: Stack, address: Optional[str] = None) -> None:
        self.stack = stack
        self.http = requests.Session()
        if address:
            self.http.mount("http://", SourceAddressAdapter(address))

    def say(self, sender: str, text: str) -> List[Dict[str, Any]]:
        resp = self.http.post(
            f"{self.stack.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=60,
        )
        resp.raise_for_status()
        return list(resp.json())


def fresh() -> str:
    return f"guess-{uuid.uuid4().hex[:12]}"


def key(stack: Stack, kind: str, value: str) -> str:
    return lookup_key(kind, value, stack.env.get("SHOP_IDENTITY_SECRET", "").strip())


def unknown_numbers(shop_db: sessionmaker, count: int) -> List[str]:
    """Six-digit numbers no order has (and no other test of this module used)."""
    with shop_db() as s:
        taken = set(s.scalars(select(Order.order_number)))
    found = [
        str(n) for n in range(100_002, 1_000_000) if str(n) not in taken and str(n) not in helpers._taken
    ]
    chosen = found[:count]
    helpers._taken.update(chosen)
    return chosen


def failures(shop_db: sessionmaker, column: Any, value: str) -> int:
    with shop_db() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(LookupAttempt)
                .where(column == value, LookupAttempt.succeeded.is_(False))
            )
        )


def digits_blanked(text: str) -> str:
    return re.sub(r"\d+", "N", text)


def assert_locked_answer(replies: List[Dict[str, Any]]) -> None:
    text = text_of(replies)
    assert not any(word in text for word in DETAIL_WORDS), text
    assert re.search(r"try again in about \d+ minutes?", text), text
    assert "/human_handoff" in payloads(replies)


def lock_by_rotating_senders(client: Client, number: str, right_email: str) -> List[List[Dict[str, Any]]]:
    """Ten wrong emails for ``number`` from ten senders, then ``right_email`` from an eleventh."""
    answers = []
    for i in range(10):
        sender = fresh()
        answers.append(
            client.say(sender, f"where is order {number}") + client.say(sender, f"g{i}-{sender}@example.com")
        )
    eleventh = fresh()
    answers.append(client.say(eleventh, f"where is order {number}") + client.say(eleventh, right_email))
    return answers


def test_ten_senders_guessing_then_the_right_email_from_an_eleventh_stays_locked(
    stack: Stack, shop_db: sessionmaker
) -> None:
    number, email = pick_order(shop_db, "shipped")
    answers = lock_by_rotating_senders(Client(stack), number, email)
    assert_locked_answer(answers[-1])
    assert f"Order #{number}" not in text_of(answers[-1])
    assert "couldn't find an order" in text_of(answers[0])
    # Only the first guesses were ever checked: the order number's limit, across all senders.
    assert failures(shop_db, LookupAttempt.order_key, key(stack, "order", number)) == (
        DEFAULTS.lookup_max_failures_per_order
    )


def test_unknown_order_is_locked_with_the_same_words(stack: Stack, shop_db: sessionmaker) -> None:
    client = Client(stack)
    (unknown,) = unknown_numbers(shop_db, 1)
    real, email = pick_order(shop_db, "processing")
    answers_real = lock_by_rotating_senders(client, real, email)
    answers_unknown = lock_by_rotating_senders(client, unknown, email)
    assert_locked_answer(answers_unknown[-1])
    for seen_real, seen_unknown in zip(answers_real, answers_unknown, strict=True):
        assert digits_blanked(text_of(seen_real)) == digits_blanked(text_of(seen_unknown))
        assert payloads(seen_real) == payloads(seen_unknown)


def test_legitimate_shopper_still_gets_the_status_in_two_messages(stack: Stack) -> None:
    number, email = DEMO_ORDERS["shipped"]
    client, sender = Client(stack), fresh()
    assert "email" in text_of(client.say(sender, f"where is my order #{number}?")).lower()
    reply = text_of(client.say(sender, email))
    assert f"Order #{number}" in reply and "tracking number" in reply


def _lone_customer(shop_db: sessionmaker) -> tuple[str, str]:
    """(order number, email) of a customer with exactly one order that no test used yet."""
    demo_emails = {email for _, email in DEMO_ORDERS.values()}
    with shop_db() as s:
        rows = s.execute(
            select(Customer.email, func.min(Order.order_number))
            .join(Order, Order.customer_id == Customer.id)
            .where(Order.status.in_(("shipped", "delivered")))
            .group_by(Customer.id, Customer.email)
            .having(func.count(Order.id) == 1)
            .order_by(Customer.email)
        ).all()
    for email, number in rows:
        if email not in demo_emails and number not in helpers._taken:
            helpers._taken.add(number)
            return number, email
    raise LookupError("no customer with a single unused order")


def test_one_email_probed_across_orders_by_rotating_senders_is_bounded(
    stack: Stack, shop_db: sessionmaker
) -> None:
    client = Client(stack)
    number, email = _lone_customer(shop_db)
    for guess in unknown_numbers(shop_db, 6):
        sender = fresh()
        client.say(sender, f"where is order {guess}")
        client.say(sender, email)
    # The email's real order, right email, new sender: still locked, nothing shown.
    sender = fresh()
    replies = client.say(sender, f"where is order {number}") + client.say(sender, email)
    assert_locked_answer(replies)
    assert failures(shop_db, LookupAttempt.email_key, key(stack, "email", email)) == (
        DEFAULTS.lookup_max_failures_per_email
    )


def test_one_address_is_locked_across_senders_orders_and_emails(stack: Stack, shop_db: sessionmaker) -> None:
    limit = DEFAULTS.lookup_max_failures_per_source
    numbers = unknown_numbers(shop_db, limit + 2)
    nat = Client(stack, "127.0.0.2")
    for i, guess in enumerate(numbers[:limit]):
        sender = fresh()
        nat.say(sender, f"where is order {guess}")
        nat.say(sender, f"n{i}-{sender}@example.com")
    assert failures(shop_db, LookupAttempt.source_key, key(stack, "source", "127.0.0.2")) == limit
    sender = fresh()
    locked = nat.say(sender, f"where is order {numbers[limit]}") + nat.say(sender, f"x-{sender}@example.com")
    assert_locked_answer(locked)
    # Another address is not affected.
    other, sender = Client(stack, "127.0.0.5"), fresh()
    reply = other.say(sender, f"where is order {numbers[limit + 1]}") + other.say(
        sender, f"y-{sender}@ex.com"
    )
    assert "couldn't find an order with that number and email" in text_of(reply)


def test_handoff_flood_from_one_address_is_bounded(stack: Stack, shop_db: sessionmaker) -> None:
    flood = Client(stack, "127.0.0.3")
    answers = [
        text_of(flood.say(fresh(), "/human_handoff")) for _ in range(DEFAULTS.handoff_max_per_source + 5)
    ]
    source = key(stack, "source", "127.0.0.3")
    with shop_db() as s:
        rows = s.scalar(
            select(func.count()).select_from(HandoffRequest).where(HandoffRequest.source_key == source)
        )
    assert rows == DEFAULTS.handoff_max_per_source
    assert all("support team" in a for a in answers[: DEFAULTS.handoff_max_per_source])
    refused = answers[-1]
    assert "can't open another one right now" in refused and re.search(r"about \d+ minutes?", refused)


def test_one_conversation_repeating_handoff_opens_one_request(stack: Stack, shop_db: sessionmaker) -> None:
    client, sender = Client(stack, "127.0.0.4"), fresh()
    for _ in range(6):
        client.say(sender, "/human_handoff")
    with shop_db() as s:
        rows = s.scalar(
            select(func.count())
            .select_from(HandoffRequest)
            .where(HandoffRequest.source_key == key(stack, "source", "127.0.0.4"))
        )
    assert rows == 1
