"""Signed-in shoppers (storefront identity token) over REST; forged tokens: tests/web."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from harness.stack import Stack
from shop.db.models import Customer
from shop.seed.demo import DEMO_ORDERS
from shop.signed_identity import sign
from tests.e2e.helpers import text_of


def _customer_id(shop_db: sessionmaker, email: str) -> int:
    with shop_db() as s:
        return int(s.scalar(select(Customer.id).where(Customer.email == email)))


def _token(stack: Stack, customer_id: int, **kwargs: float) -> dict[str, str]:
    return {"identity_token": sign(customer_id, stack.env["SHOP_IDENTITY_SECRET"], **kwargs)}


def test_signed_in_shopper_lists_orders_without_being_asked(
    stack: Stack, sender: str, shop_db: sessionmaker
) -> None:
    number, email = DEMO_ORDERS["shipped"]
    meta = _token(stack, _customer_id(shop_db, email))
    reply = text_of(stack.say(sender, "show me my recent orders", metadata=meta))
    assert "Your recent orders" in reply and f"#{number}" in reply


def test_signed_in_shopper_skips_the_email_for_their_own_order(
    stack: Stack, sender: str, shop_db: sessionmaker
) -> None:
    number, email = DEMO_ORDERS["shipped"]
    meta = _token(stack, _customer_id(shop_db, email))
    reply = text_of(stack.say(sender, f"where is my order {number}", metadata=meta))
    assert f"Order #{number}" in reply


def test_signed_in_shopper_still_needs_the_email_for_someone_elses_order(
    stack: Stack, sender: str, shop_db: sessionmaker
) -> None:
    _, email = DEMO_ORDERS["shipped"]
    other, _ = DEMO_ORDERS["processing"]
    meta = _token(stack, _customer_id(shop_db, email))
    reply = text_of(stack.say(sender, f"where is my order {other}", metadata=meta))
    assert f"Order #{other}" not in reply and "email" in reply.lower()
