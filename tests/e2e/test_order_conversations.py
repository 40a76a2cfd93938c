"""Order status, recent orders and cancellation over the REST channel, end to end."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from harness.stack import Stack
from shop.db.models import LookupAttempt, Order
from shop.seed.demo import DEMO_ORDERS
from tests.e2e.helpers import cancellation_record, payloads, pick_order, text_of

DETAIL_WORDS = ("Items:", "Total:", "tracking number", "Carrier", "delivered", "on its way")


def test_order_status_shown_only_after_number_and_email(stack: Stack, sender: str) -> None:
    number, email = DEMO_ORDERS["shipped"]
    first = text_of(stack.say(sender, f"where is my order #{number}?"))
    assert "email" in first.lower()
    assert not any(word in first for word in DETAIL_WORDS)
    reply = text_of(stack.say(sender, email))
    assert f"Order #{number}" in reply
    assert "on its way" in reply
    assert "tracking number" in reply and "Expected delivery" in reply


def test_order_status_when_asked_step_by_step(stack: Stack, sender: str) -> None:
    number, email = DEMO_ORDERS["delivered_recent"]
    assert "order number" in text_of(stack.say(sender, "hi, has my package arrived")).lower()
    assert "email" in text_of(stack.say(sender, f"it's {number}")).lower()
    reply = text_of(stack.say(sender, f"my email is {email.upper()}"))
    assert f"Order #{number}" in reply and "delivered" in reply.lower()


def test_wrong_email_reply_does_not_reveal_whether_order_exists(stack: Stack) -> None:
    number, _ = DEMO_ORDERS["shipped"]
    # Fresh wrong emails and senders: failures count per email and order across all senders.
    a, b = (f"probe-{uuid.uuid4().hex[:8]}" for _ in range(2))
    existing = text_of(stack.say(a, f"track order {number}") + stack.say(a, f"nobody-{a}@example.com"))
    missing = text_of(stack.say(b, "track order 999998") + stack.say(b, f"nobody-{b}@example.com"))
    existing = existing.replace(a, "<sender>")
    missing = missing.replace(b, "<sender>")
    assert "couldn't find an order with that number and email" in existing
    assert existing == missing


def test_three_failed_checks_lock_lookups_and_offer_a_person(
    stack: Stack, sender: str, shop_db: sessionmaker
) -> None:
    # An order of its own: three failures lock the order number for everyone for a while.
    number, email = pick_order(shop_db, "shipped")
    for attempt in range(3):
        stack.say(sender, f"where is order {number}")
        replies = stack.say(sender, f"wrong{attempt}-{sender}@example.com")
    assert "paused order lookups" in text_of(replies)
    assert "try again in about 15 minutes" in text_of(replies)
    assert "/human_handoff" in payloads(replies)
    # Even the right email does not unlock it now.
    again = stack.say(sender, f"where is order {number}") + stack.say(sender, email)
    assert not any(word in text_of(again) for word in DETAIL_WORDS)
    with shop_db() as s:
        failures = s.scalar(
            select(func.count())
            .select_from(LookupAttempt)
            .where(LookupAttempt.sender_id == f"rest:{sender}", LookupAttempt.succeeded.is_(False))
        )
    assert failures == 3


def test_switch_from_status_to_another_order_asks_email_again(stack: Stack, sender: str) -> None:
    number, email = DEMO_ORDERS["shipped"]
    other, _ = DEMO_ORDERS["processing"]
    stack.say(sender, f"status of order {number}")
    stack.say(sender, email)
    reply = text_of(stack.say(sender, f"and where is order {other}"))
    assert f"Order #{other}" not in reply
    assert "email" in reply.lower()


def test_recent_orders_listed_after_verification(stack: Stack, sender: str) -> None:
    number, email = DEMO_ORDERS["shipped"]
    stack.say(sender, "show me my recent orders")
    stack.say(sender, number)
    reply = text_of(stack.say(sender, email))
    assert "Your recent orders" in reply
    assert f"#{number}" in reply and f"#{DEMO_ORDERS['delivered_recent'][0]}" in reply


def test_cancel_needs_confirmation_and_is_written_once(
    stack: Stack, sender: str, shop_db: sessionmaker
) -> None:
    number, email = pick_order(shop_db, "processing")
    stack.say(sender, f"I want to cancel order {number}")
    ask = stack.say(sender, email)
    assert "Do you want me to cancel it?" in text_of(ask)
    assert {"/affirm", "/deny"} <= set(payloads(ask))
    done = text_of(stack.say(sender, "yes"))
    assert f"order #{number} is cancelled" in done
    repeat = stack.say(sender, "cancel my order") + stack.say(sender, "yes")
    assert "already cancelled" in text_of(repeat)
    assert cancellation_record(shop_db, number) == ("cancelled", 1)


def test_cancel_declined_changes_nothing(stack: Stack, sender: str, shop_db: sessionmaker) -> None:
    number, email = pick_order(shop_db, "pending")
    stack.say(sender, f"cancel {number}")
    stack.say(sender, email)
    assert "stays as it is" in text_of(stack.say(sender, "no"))
    with shop_db() as s:
        assert s.scalar(select(Order.status).where(Order.order_number == number)) == "pending"


def test_cancel_refused_once_shipped(stack: Stack, sender: str, shop_db: sessionmaker) -> None:
    number, email = DEMO_ORDERS["shipped"]
    stack.say(sender, f"please cancel order {number}")
    reply = text_of(stack.say(sender, email))
    assert "already shipped" in reply
    with shop_db() as s:
        assert s.scalar(select(Order.status).where(Order.order_number == number)) == "shipped"


def test_conversation_is_kept_in_the_sql_tracker_store(stack: Stack, sender: str) -> None:
    number, _ = DEMO_ORDERS["shipped"]
    stack.say(sender, f"where is order {number}")
    events = stack.tracker(sender)["events"]
    assert any(e.get("event") == "user" and number in (e.get("text") or "") for e in events)
    assert (stack.workdir / "tracker.db").stat().st_size > 0


def test_email_corrected_after_a_failed_check_is_kept_for_the_number(
    stack: Stack, sender: str, shop_db: sessionmaker
) -> None:
    # The shopper mistyped the email: after "couldn't find", they give the right email
    # first; it is kept and checked against the number they give next, not asked again.
    # An order of its own: a failure counts against the order number for every sender.
    number, email = pick_order(shop_db, "shipped")
    stack.say(sender, f"where is order {number}")
    failed = text_of(stack.say(sender, f"typo-{sender}@example.com"))
    assert "couldn't find an order with that number and email" in failed
    asked = text_of(stack.say(sender, f"sorry, it's {email}"))
    assert "order number" in asked.lower() and f"Order #{number}" not in asked
    reply = text_of(stack.say(sender, number))
    assert f"Order #{number}" in reply and "on its way" in reply


def test_email_given_before_the_number_is_checked_with_it(
    stack: Stack, sender: str, shop_db: sessionmaker
) -> None:
    number, email = pick_order(shop_db, "delivered")
    asked = text_of(stack.say(sender, f"hi, my email is {email}, where is my order?"))
    assert "order number" in asked.lower()
    reply = text_of(stack.say(sender, number))
    assert f"Order #{number}" in reply and "delivered" in reply.lower()


def test_email_kept_for_a_number_is_still_checked(stack: Stack, sender: str, shop_db: sessionmaker) -> None:
    # Keeping the email is no shortcut: a wrong one is refused the same way.
    number, _ = pick_order(shop_db, "delivered")
    stack.say(sender, f"my email is other-{sender}@example.com and I want to track my order")
    reply = text_of(stack.say(sender, number))
    assert "couldn't find an order with that number and email" in reply
    assert f"Order #{number}" not in reply
