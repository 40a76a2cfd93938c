"""Coupons, deals and the cart over the REST channel, end to end."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional, Tuple

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from harness.stack import Stack
from shop.db.models import Customer, Order, Product, ProductVariant
from shop.db.pricing_models import CouponRow
from shop.signed_identity import sign
from tests.e2e.helpers import text_of

UNKNOWN = "That code isn't one we recognise. Please check the spelling."


def _product(
    shop_db: sessionmaker, *, max_price: float, min_price: float = 0, category: Optional[str] = "Jackets"
) -> Tuple[str, str, str]:
    """(name, size, colour) of an in-stock variant of a product in ``category`` in the price band."""
    with shop_db() as s:
        row = s.execute(
            select(Product.name, ProductVariant.size, ProductVariant.color)
            .join(ProductVariant, ProductVariant.product_id == Product.id)
            .where(
                Product.category == category if category else Product.id > 0,
                Product.price < max_price,
                Product.price >= min_price,
                ProductVariant.stock > 0,
                ProductVariant.size.is_not(None),
                ProductVariant.color.is_not(None),
            )
            .order_by(Product.id, ProductVariant.id)
        ).first()
    assert row is not None
    name, size, color = row
    return name, size, color


def _add(stack: Stack, sender: str, shop_db: sessionmaker, **band: Any) -> str:
    name, size, color = _product(shop_db, **band)
    reply = text_of(stack.say(sender, f"add the {name} in {size} {color} to my cart"))
    assert f"Added 1 × {name} ({size}, {color})" in reply, reply
    return name


def test_empty_cart_explains_the_code_and_checkout(stack: Stack, sender: str) -> None:
    reply = text_of(stack.say(sender, "apply SAVE10"))
    assert "Use SAVE10 for 10% off everything on orders of $50.00 or more" in reply
    assert "taken off at checkout" in reply


def test_lower_case_and_spaced_codes_are_normalised(stack: Stack, sender: str) -> None:
    assert "Use SAVE10 for 10% off" in text_of(stack.say(sender, "use code save 10"))
    assert "Use FREESHIP for free shipping" in text_of(stack.say(f"{sender}-b", "apply freeship"))


def test_code_on_the_cart_gives_discount_lines_and_new_total(
    stack: Stack, sender: str, shop_db: sessionmaker
) -> None:
    name = _add(stack, sender, shop_db, min_price=60, max_price=70)
    reply = text_of(stack.say(sender, "apply SAVE10"))
    assert reply.startswith("SAVE10 works: your cart comes to $"), reply
    assert "SAVE10: -$" in reply and "10% off everything" in reply
    cart = text_of(stack.say(sender, "what's in my cart?"))
    assert name in cart and "Total: $" in cart


def test_min_spend_rejection_says_how_much_more(stack: Stack, sender: str, shop_db: sessionmaker) -> None:
    name = _add(stack, sender, shop_db, min_price=20, max_price=45, category=None)
    with shop_db() as s:
        price = s.scalar(select(Product.price).where(Product.name == name))
    missing = (Decimal("50.00") - Decimal(str(price))).quantize(Decimal("0.01"))
    reply = text_of(stack.say(sender, "apply SAVE10"))
    assert f"SAVE10 needs a subtotal of $50.00: spend ${missing} more." in reply


def test_each_cart_rejection_has_its_own_sentence(stack: Stack, sender: str, shop_db: sessionmaker) -> None:
    _add(stack, sender, shop_db, min_price=60, max_price=70)
    expected = {
        "TAKE5": "TAKE5 needs at least 2 items in the cart: add 1 more item.",
        "OUTDOOR20": "OUTDOOR20 applies to Outdoor, and nothing in the cart qualifies.",
        "SUMMER25": "SUMMER25 expired on ",
        "LAUNCH50": "LAUNCH50 has been used the maximum number of times.",
        "HOLIDAY30": "HOLIDAY30 can be used from ",
        "STAFF40": "STAFF40 is not active at the moment.",
        "WELCOME15": "Please sign in or verify your account to use WELCOME15.",
    }
    for code, sentence in expected.items():
        assert sentence in text_of(stack.say(sender, f"apply {code}")), code


def test_first_order_code_refused_to_a_returning_customer(
    stack: Stack, sender: str, shop_db: sessionmaker
) -> None:
    with shop_db() as s:
        cid = s.scalar(select(Order.customer_id).where(Order.status == "delivered").order_by(Order.id))
    token = {"identity_token": sign(int(cid), stack.env["SHOP_IDENTITY_SECRET"])}
    reply = text_of(stack.say(sender, "apply WELCOME15", metadata=token))
    assert "WELCOME15 is for a first order only." in reply


def test_bad_codes_are_unknown_and_reveal_nothing(stack: Stack, sender: str) -> None:
    answers = [
        text_of(stack.say(f"{sender}-{i}", text))
        for i, text in enumerate(
            [
                "apply NOSUCHCODE1",
                "apply SАVE10",  # Cyrillic А
                "apply ＳＡＶＥ1０x",  # full width: a well-formed SAVE10X, which does not exist
                # A code far over 16 characters, inside the 2,000-character message cap.
                '/apply_coupon{"coupon_code": "%s"}' % ("A" * 1_900),
            ]
        )
    ]
    assert all(UNKNOWN in a for a in answers), answers
    # Typed, a 1,900-character code is not understood at all (two-stage fallback): no code named.
    pasted = text_of(stack.say(f"{sender}-paste", "apply code " + "A" * 1_900))
    assert UNKNOWN in pasted or "Did you mean" in pasted
    assert "off" not in pasted
    # A 10 KB paste is over the message cap: asked to shorten it, before any NLU or code check.
    huge = text_of(stack.say(f"{sender}-huge", "apply code " + "A" * 10_000))
    assert "too long" in huge and "2,000 characters" in huge and UNKNOWN not in huge
    # A real code with a Cyrillic look-alike letter is not the real code.
    assert not any("10% off" in a for a in answers)


def test_brute_force_guessing_is_throttled(stack: Stack, sender: str) -> None:
    for i in range(5):
        assert UNKNOWN in text_of(stack.say(sender, f"apply GUESS{i}X"))
    blocked = text_of(stack.say(sender, "apply SAVE10"))
    assert "That's too many codes that didn't work. Please wait" in blocked
    assert "minutes" in blocked and "SAVE10" not in blocked
    # Another conversation is not affected.
    assert "Use SAVE10" in text_of(stack.say(f"{sender}-other", "apply SAVE10"))


def test_personal_offers_only_for_a_verified_customer(
    stack: Stack, sender: str, shop_db: sessionmaker
) -> None:
    with shop_db() as s:
        cid = s.scalar(
            select(Order.customer_id)
            .where(Order.status.not_in(("cancelled", "returned")))
            .group_by(Order.customer_id)
            .having(func.sum(Order.total) >= 500)
            .order_by(Order.customer_id)
        )
        email = s.scalar(select(Customer.email).where(Customer.id == cid))
    anonymous = text_of(stack.say(sender, "are there any discounts?"))
    assert "Running now:" in anonymous and "Just for you" not in anonymous
    assert "SAVE10" in anonymous and "WELCOME15" not in anonymous
    token = {"identity_token": sign(int(cid), stack.env["SHOP_IDENTITY_SECRET"])}
    mine = text_of(stack.say(f"{sender}-me", "any deals for me?", metadata=token))
    assert "Just for you:" in mine and "LOYAL" in mine, mine
    assert email not in mine
    with shop_db() as s:
        personal = s.scalars(select(CouponRow.code).where(CouponRow.customer_id == cid)).all()
    assert personal and all(code not in anonymous for code in personal)
    # Someone else's personal code does not exist for another verified shopper.
    with shop_db() as s:
        other = s.scalar(select(Customer.id).where(Customer.id != cid).order_by(Customer.id))
    other_token = {"identity_token": sign(int(other), stack.env["SHOP_IDENTITY_SECRET"])}
    assert UNKNOWN in text_of(stack.say(f"{sender}-x", f"apply {personal[0]}", metadata=other_token))


def test_price_of_a_product_with_a_code(stack: Stack, sender: str, shop_db: sessionmaker) -> None:
    name, _, _ = _product(shop_db, min_price=60, max_price=70)
    reply = text_of(stack.say(sender, f"how much would the {name} cost with code SAVE10"))
    assert f"SAVE10 works: the {name} comes to $" in reply, reply


def test_remove_from_cart(stack: Stack, sender: str, shop_db: sessionmaker) -> None:
    name = _add(stack, sender, shop_db, min_price=60, max_price=70)
    reply = text_of(stack.say(sender, f"remove the {name} from my cart"))
    assert f"Removed {name} from your cart." in reply and "empty" in reply
    assert "Your cart is empty" in text_of(stack.say(sender, "show me my cart"))
