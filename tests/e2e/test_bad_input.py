"""Bad input gets a clear answer, raises nothing and writes nothing."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from harness.stack import Stack
from shop.db.models import HandoffRequest, LookupAttempt, Order, OrderStatusChange, Return
from shop.limits import empty_text
from shop.seed.demo import DEMO_ORDERS
from tests.e2e.helpers import text_of

HOSTILE = [
    "",
    "   \n\t ",
    "x" * 20_000,
    "📦📦📦 where 🤔 is it?? 😡",
    "أين طلبي؟ רוצה להחזיר",
    "104523'; DROP TABLE orders; --",
    "' OR '1'='1",
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>@example.com",
    "{{7*7}} ${jndi:ldap://x}",
    "\x00\x1b[31m",
]


#: What the bot says to a message it can't act on: out of scope, the NLU fallback's
#: suggestions (two-stage fallback), or the general "what I can do". A hostile message that
#: still reads as a question about an order ("📦 where is it??") may instead be asked for the
#: order number: also a clear answer, and nothing is looked up before the shopper proves it.
CLEAR_ANSWERS = (
    "I can help with orders, returns, refunds, products",
    "You can ask about an order, a return",
    "Did you mean one of these?",
    "What's your order number?",
)


def _row_counts(shop_db: sessionmaker) -> dict[str, int]:
    with shop_db() as s:
        return {
            model.__tablename__: s.scalar(select(func.count()).select_from(model))
            for model in (Order, Return, OrderStatusChange, HandoffRequest)
        }


@pytest.mark.parametrize("message", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_message_gets_an_answer_and_writes_nothing(
    stack: Stack, sender: str, shop_db: sessionmaker, message: str
) -> None:
    before = _row_counts(shop_db)
    replies = stack.say(sender, message)
    said = text_of(replies)
    if not message.strip():
        # Nothing was said: the input guard answers before NLU (Rasa alone would say nothing).
        assert said == empty_text()
    elif len(message) > 2_000:
        assert "too long for me (the limit is 2,000 characters)" in said
    else:
        assert any(answer in said for answer in CLEAR_ANSWERS), said
    assert all("<script>" not in (r.get("text") or "") for r in replies)
    assert _row_counts(shop_db) == before


@pytest.mark.parametrize("message", HOSTILE[3:], ids=range(len(HOSTILE) - 3))
def test_hostile_answer_to_the_order_number_question_is_not_an_order(
    stack: Stack, sender: str, shop_db: sessionmaker, message: str
) -> None:
    stack.say(sender, "where is my order")
    before = _row_counts(shop_db)
    reply = text_of(stack.say(sender, message))
    assert not any(word in reply for word in ("Items:", "Total:", "tracking number"))
    assert _row_counts(shop_db) == before


@pytest.mark.parametrize("email", ["' OR 1=1 --", "<b>a@b.c</b>", "a" * 300 + "@example.com", "not-an-email"])
def test_hostile_email_is_refused_without_a_lookup(
    stack: Stack, sender: str, shop_db: sessionmaker, email: str
) -> None:
    number, _ = DEMO_ORDERS["shipped"]
    stack.say(sender, f"where is order {number}")
    reply = text_of(stack.say(sender, email))
    assert "Items:" not in reply
    with shop_db() as s:
        attempts = s.scalar(
            select(func.count()).select_from(LookupAttempt).where(LookupAttempt.sender_id == f"rest:{sender}")
        )
    assert attempts == 0


def test_unknown_order_number_gets_the_generic_answer(stack: Stack, sender: str) -> None:
    stack.say(sender, "where is order 100001")
    reply = text_of(stack.say(sender, "someone@example.com"))
    assert "couldn't find an order with that number and email" in reply


def test_malformed_request_bodies_are_rejected_cleanly(stack: Stack) -> None:
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    not_json = requests.post(url, data="{not json", timeout=30)
    assert not_json.status_code == 400
    assert not_json.json() == {
        "error": "bad_request",
        "message": "the body must be a JSON object with `sender` and `message`",
    }
    no_sender = requests.post(url, json={"message": "hi"}, timeout=30)
    assert no_sender.status_code == 400
    assert no_sender.json() == {"error": "bad_request", "message": "sender must be a string"}
    # The server still answers afterwards.
    assert stack.say("after-malformed", "hello")


def test_duplicate_message_submissions_do_not_duplicate_effects(
    stack: Stack, sender: str, shop_db: sessionmaker
) -> None:
    number, email = DEMO_ORDERS["pending"]
    stack.say(sender, f"cancel order {number}")
    stack.say(sender, email)
    stack.say(sender, "yes")
    stack.say(sender, "yes")
    with shop_db() as s:
        order_id = s.scalar(select(Order.id).where(Order.order_number == number))
        changes = s.scalar(
            select(func.count())
            .select_from(OrderStatusChange)
            .where(OrderStatusChange.order_id == order_id, OrderStatusChange.to_status == "cancelled")
        )
    assert changes == 1
