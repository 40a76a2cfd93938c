"""Returns, refunds and return status over the REST channel, end to end."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from harness.stack import Stack
from shop.db.models import Order, Return
from shop.seed.demo import DEMO_ORDERS, DEMO_RMA
from tests.e2e.helpers import payloads, pick_order, text_of


def _returns_of(shop_db: sessionmaker, number: str) -> list[Return]:
    with shop_db() as s:
        return list(
            s.scalars(
                select(Return).join(Order, Order.id == Return.order_id).where(Order.order_number == number)
            )
        )


def test_return_creates_rma_with_refund_estimate(stack: Stack, sender: str, shop_db: sessionmaker) -> None:
    number, email = pick_order(shop_db, "delivered", returnable=True)
    stack.say(sender, "I'd like to return something")
    stack.say(sender, number)
    ask_item = stack.say(sender, email)
    item_payloads = [p for p in payloads(ask_item) if "return_selection" in p]
    assert item_payloads, text_of(ask_item)
    ask_reason = stack.say(sender, item_payloads[0])
    assert "reason" in text_of(ask_reason).lower()
    confirm = text_of(stack.say(sender, "the zipper broke after a day"))
    assert "estimated refund" in confirm
    done = text_of(stack.say(sender, "yes"))
    assert "Your RMA number is RMA-" in done
    rows = _returns_of(shop_db, number)
    assert len(rows) == 1
    assert rows[0].rma_number in done
    assert rows[0].reason == "the zipper broke after a day"
    assert f"${rows[0].refund_amount:,.2f}" in done


def test_duplicate_return_submission_creates_one_rma(stack: Stack, shop_db: sessionmaker) -> None:
    number, email = pick_order(shop_db, "delivered", returnable=True)
    stack.say("dup-1", f"return order {number}")
    ask_item = stack.say("dup-1", email)
    stack.say("dup-1", [p for p in payloads(ask_item) if "return_selection" in p][0])
    stack.say("dup-1", "wrong size")
    first = text_of(stack.say("dup-1", "yes"))
    stack.say("dup-1", "yes")  # a double click on the confirmation
    assert "Your RMA number is" in first
    # Another conversation for the same order finds nothing left to return.
    stack.say("dup-2", f"return order {number}")
    assert "already part of a return" in text_of(stack.say("dup-2", email))
    assert len(_returns_of(shop_db, number)) == 1


def test_switch_from_status_to_return_without_repeating_the_number(
    stack: Stack, sender: str, shop_db: sessionmaker
) -> None:
    number, email = pick_order(shop_db, "delivered", returnable=True)
    stack.say(sender, f"where is my order {number}")
    assert f"Order #{number}" in text_of(stack.say(sender, email))
    ask_item = text_of(stack.say(sender, "I want to return it"))
    assert "Which item would you like to return?" in ask_item
    assert "order number" not in ask_item.lower()


def test_return_refused_after_the_window(stack: Stack, sender: str, shop_db: sessionmaker) -> None:
    number, email = DEMO_ORDERS["delivered_old"]
    stack.say(sender, f"i want a refund for order {number}")
    reply = text_of(stack.say(sender, email))
    assert "return window" in reply and "closed" in reply
    assert _returns_of(shop_db, number) == []


def test_return_status_by_rma_number_still_needs_the_email(stack: Stack, sender: str) -> None:
    _, email = DEMO_ORDERS["returned"]
    first = text_of(stack.say(sender, f"what's the status of my return {DEMO_RMA}"))
    assert "refund" not in first.lower() or "email" in first.lower()
    assert DEMO_RMA not in first
    reply = text_of(stack.say(sender, email))
    assert DEMO_RMA in reply and "refunded" in reply


def test_faq_in_the_middle_of_a_return_then_continue(
    stack: Stack, sender: str, shop_db: sessionmaker
) -> None:
    number, email = pick_order(shop_db, "delivered", returnable=True)
    stack.say(sender, "start a return please")
    faq = text_of(stack.say(sender, "how long do refunds take"))
    assert "5-7 business days" in faq
    assert "order number" in faq.lower()
    stack.say(sender, number)
    assert "Which item" in text_of(stack.say(sender, email))
    with shop_db() as s:
        assert (
            s.scalar(select(func.count()).select_from(Return).join(Order).where(Order.order_number == number))
            == 0
        )
