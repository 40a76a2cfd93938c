"""Product questions and recommendations over REST against the real stack (issue 3)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any, Dict, List

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from catalog_index import MissingIndexError
from harness.stack import Stack
from shop.db.models import Product, ProductVariant
from tests.e2e.helpers import Replies, payloads, text_of


def carousel(replies: Replies) -> List[Dict[str, Any]]:
    cards = [r["custom"] for r in replies if isinstance(r.get("custom"), dict)]
    assert cards, f"no carousel in {replies}"
    assert cards[0]["type"] == "carousel"
    return list(cards[0]["products"])


def price_of(card: Dict[str, Any]) -> Decimal:
    """The card's price as shown ("$1,059.99") back to an amount."""
    assert card["price"].startswith("$"), f"price without currency: {card['price']!r}"
    return Decimal(card["price"][1:].replace(",", ""))


def variants_in_stock(shop_db: sessionmaker, sku: str) -> List[ProductVariant]:
    with shop_db() as s:
        return list(
            s.scalars(
                select(ProductVariant)
                .join(Product, Product.id == ProductVariant.product_id)
                .where(Product.sku == sku, ProductVariant.stock > 0)
            )
        )


def product(shop_db: sessionmaker, sku: str) -> Product:
    with shop_db() as s:
        return s.execute(select(Product).where(Product.sku == sku)).scalar_one()


def test_constrained_search_recommends_in_stock_items_within_constraints(
    stack: Stack, shop_db: sessionmaker, sender: str
) -> None:
    replies = stack.say(sender, "I'm looking for a waterproof jacket under $80 in M, not black")
    cards = carousel(replies)
    assert 1 <= len(cards) <= 5
    text = text_of(replies)
    for card in cards:
        assert card["title"] in text and card["price"] in text, "the text fallback lists every product"
        assert card["sku"] not in text, "the text fallback shows no internal SKU"
        assert price_of(card) < Decimal("80")
        assert card["url"] == f"/product/{card['sku']}" and card["image"] == f"/img/{card['sku']}.svg"
        in_stock = [
            v
            for v in variants_in_stock(shop_db, card["sku"])
            if v.size == "M" and "black" not in (v.color or "").lower()
        ]
        assert in_stock, f"{card['sku']} has no in-stock M variant that is not black"


def test_more_like_this_button_recommends_similar_in_stock_products(
    stack: Stack, shop_db: sessionmaker, sender: str
) -> None:
    replies = stack.say(sender, '/recommend_product{"product":"JKT-000002"}')
    cards = carousel(replies)
    assert "JKT-000002" not in {c["sku"] for c in cards}
    assert "like the Summit Quilted Jacket X" in text_of(replies)
    for card in cards:
        assert variants_in_stock(shop_db, card["sku"]) or product(shop_db, card["sku"]).stock > 0


def test_something_like_x_but_cheaper_stays_below_its_price(stack: Stack, sender: str) -> None:
    replies = stack.say(sender, "something like the Summit Rain Shell but cheaper")
    cards = carousel(replies)
    assert all(price_of(c) < Decimal("102.99") for c in cards)


def test_what_goes_with_a_product(stack: Stack, sender: str) -> None:
    replies = stack.say(sender, "what goes well with the Summit Down Jacket?")
    cards = carousel(replies)
    assert "go well with the Summit Down Jacket" in text_of(replies)
    assert "JKT-000026" not in {c["sku"] for c in cards}


def test_personal_picks_need_a_known_shopper(stack: Stack, sender: str) -> None:
    replies = stack.say(sender, "what would you recommend for me?")
    assert "popular" in text_of(replies)
    assert carousel(replies)


def test_stock_by_size_then_price_follow_up(stack: Stack, shop_db: sessionmaker, sender: str) -> None:
    replies = stack.say(sender, "is the Summit Down Jacket in stock in M?")
    with shop_db() as s:
        qty = s.scalar(
            select(func.sum(ProductVariant.stock))
            .join(Product, Product.id == ProductVariant.product_id)
            .where(Product.sku == "JKT-000026", ProductVariant.size == "M")
        )
    text = text_of(replies)
    assert ("in stock" in text and str(qty) in text) if qty else "sold out" in text
    follow = text_of(stack.say(sender, "how much is it"))
    assert "$82.99" in follow


def test_typo_in_product_name_is_resolved(stack: Stack, sender: str) -> None:
    text = text_of(stack.say(sender, "how much is the summit rain shel"))
    assert "Summit Rain Shell" in text and "$102.99" in text


def test_ambiguous_name_asks_which_one_with_buttons(stack: Stack, sender: str) -> None:
    replies = stack.say(sender, "is the nimbus in stock in size 9?")
    buttons = payloads(replies)
    assert "Which one" in text_of(replies)
    assert 2 <= len(buttons) <= 5
    assert all(b.startswith('/product_question{"product": "') for b in buttons)
    answer = text_of(stack.say(sender, buttons[0]))
    assert "Nimbus" in answer
    assert "in stock" in answer or "sold out" in answer or "don't make" in answer


def test_compare_two_products(stack: Stack, sender: str) -> None:
    text = text_of(
        stack.say(sender, "what's the difference between the Summit Down Jacket and the Summit Rain Shell")
    )
    assert "Summit Down Jacket vs Summit Rain Shell" in text
    assert "cheaper" in text


def test_unknown_product_gets_a_polite_not_found(stack: Stack, sender: str) -> None:
    text = text_of(stack.say(sender, "how much is the Zorblax Quantum Toaster 9000"))
    assert "couldn't find" in text or "Which product" in text
    assert "describe" in text or "name" in text


def test_negative_price_is_ignored_sensibly(stack: Stack, sender: str) -> None:
    replies = stack.say(sender, "show me jackets under $-5")
    text = text_of(replies)
    assert text and "Traceback" not in text
    assert "ignored" in text or "couldn't find" in text or carousel(replies)


def test_five_hundred_constraints_in_one_message(stack: Stack, sender: str) -> None:
    colors = ["black", "white", "red", "blue", "green", "grey", "pink", "navy", "olive", "brown"]
    msg = "recommend a jacket " + ", ".join(f"not {colors[i % 10]} under ${i + 5}" for i in range(500))
    replies = stack.say(sender, msg)
    assert text_of(replies).strip()
    for card in [c for r in replies if isinstance(r.get("custom"), dict) for c in r["custom"]["products"]]:
        assert price_of(card) > 0


def test_missing_index_gives_an_apology_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs the action alone: the stack above has a built index."""
    monkeypatch.setenv("CATALOG_WARM_UP", "0")
    from actions import catalog, services

    def missing() -> None:
        raise MissingIndexError("No catalog index in /nowhere")

    monkeypatch.setattr(services, "recommender", missing)
    tracker = Tracker(
        "t",
        {},
        {"text": "any jackets?", "intent": {"name": "recommend_product"}, "entities": []},
        [],
        False,
        None,
        {},
        "",
    )
    dispatcher = CollectingDispatcher()
    events = asyncio.run(catalog.ActionRecommendProducts().run(dispatcher, tracker, {}))
    assert events == []
    assert "can't suggest products right now" in dispatcher.messages[0]["text"]
