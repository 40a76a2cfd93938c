"""A bot's product carousel in a transcript: cards with picture, name, price and a storefront
link, never the raw JSON; times without microseconds. (The same in Chromium, against a real
storefront: ``test_console_carousel_browser.py``.)"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

from actions.carousel import carousel_payload
from console.carousel import cards
from shop.urls import image_url, product_url
from tests.console.conftest import BASE_TS, XSS, Console, action, bot, open_console, user

STOREFRONT = "https://shop.example.test"


@dataclass(frozen=True)
class Picked:
    """What ``carousel_payload`` reads of a ``shop.recommend.Recommendation`` (relative URLs,
    as the recommender builds them)."""

    sku: str
    name: str
    price: Decimal
    brand: str = "Northwind"

    @property
    def url(self) -> str:
        return product_url(self.sku, {})

    @property
    def image_url(self) -> str:
        return image_url(self.sku, {})


def recommendation(sku: str, name: str, price: str) -> Any:
    """A recommended product, as the bot's carousel payload takes it."""
    return Picked(sku, name, Decimal(price))


RECS = [
    recommendation("JKT-000089", "Trail Shell Jacket", "59.99"),
    recommendation("JKT-000102", "Down Puffer", "1249.5"),
]


class _Cards(HTMLParser):
    """Each ``li.card``: its data-sku, link, picture, name and price text."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: list[dict[str, str]] = []
        self._field: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "li" and "card" in classes:
            self.cards.append({"sku": a.get("data-sku") or "", "name": "", "price": ""})
        elif self.cards and tag == "a":
            self.cards[-1]["href"] = a.get("href") or ""
        elif self.cards and tag == "img":
            self.cards[-1]["src"] = a.get("src") or ""
        elif self.cards and tag == "span" and classes[:1] in (["card-name"], ["card-price"]):
            self._field = classes[0].removeprefix("card-")

    def handle_endtag(self, tag: str) -> None:
        if tag == "span":
            self._field = None

    def handle_data(self, data: str) -> None:
        if self._field:
            self.cards[-1][self._field] += data


async def _transcript(console: Console, sender: str, events: list[Any]) -> str:
    # The writer runs its own event loop (asyncio.run), so off this one.
    await asyncio.to_thread(console.env.tracker.add, sender, events)
    token = await console.login("admin")
    assert (await console.client.post("/api/ingest", headers={"X-CSRF-Token": token})).status == 200
    resp = await console.client.get(f"/conversations/{sender}")
    assert resp.status == 200
    return await resp.text()


async def test_a_carousel_shows_as_cards_linking_to_the_storefront(env) -> None:  # type: ignore[no-untyped-def]
    t = BASE_TS + 7200.123456  # a fractional second: the page must not show microseconds
    events = [
        user("show me jackets", "recommend_product", 0.93, t),
        action("action_recommend", t + 1),
        bot("Some jackets you might like:", t + 1.5, carousel_payload(RECS)),
    ]
    async with open_console(env, storefront_url=STOREFRONT) as console:
        page = await _transcript(console, "conv-carousel", events)
        resp = await console.client.get("/conversations/conv-carousel")
        policy = resp.headers["Content-Security-Policy"]
        api = await (await console.client.get("/api/conversations/conv-carousel/events")).json()
    parsed = _Cards()
    parsed.feed(page)
    assert parsed.cards == [
        {
            "sku": "JKT-000089",
            "name": "Trail Shell Jacket",
            "price": "$59.99",
            "href": f"{STOREFRONT}/product/JKT-000089",
            "src": f"{STOREFRONT}/img/JKT-000089.svg",
        },
        {
            "sku": "JKT-000102",
            "name": "Down Puffer",
            "price": "$1,249.50",
            "href": f"{STOREFRONT}/product/JKT-000102",
            "src": f"{STOREFRONT}/img/JKT-000102.svg",
        },
    ]
    assert '"type": "carousel"' not in page and "&#34;products&#34;" not in page  # no raw JSON
    assert "img-src 'self' data: https://shop.example.test;" in policy  # the pictures may load
    # times as people read them, to the second: the summary and every event
    assert "1 Jun 2024, 12:00:00 – 1 Jun 2024, 12:00:01" in page
    assert not re.search(r"\d:\d\d\.\d", page)
    (shown,) = (e for e in api["events"] if e["type"] == "bot")
    assert shown["at"] == "1 Jun 2024, 12:00:01" and shown["custom"] == ""
    assert [c["sku"] for c in shown["cards"]] == ["JKT-000089", "JKT-000102"]


async def test_card_links_come_from_the_sku_never_from_the_payload(console: Console) -> None:
    payload = {
        "type": "carousel",
        "products": [
            # an old payload: the wrong path, a bare number for a price, a script URL
            {
                "sku": "JKT-000089",
                "title": XSS,
                "price": 59.99,
                "url": "javascript:alert(1)",
                "image": "/static/img/JKT-000089.svg",
            },
            {"sku": "", "title": "no sku, no card"},
            "not a product",
        ],
    }
    page = await _transcript(console, "conv-old-carousel", [bot("Try these:", BASE_TS + 9000, payload)])
    parsed = _Cards()
    parsed.feed(page)
    (card,) = parsed.cards
    assert card["href"] == "http://localhost:8080/product/JKT-000089"  # the default storefront
    assert card["src"] == "http://localhost:8080/img/JKT-000089.svg"
    assert card["price"] == "$59.99" and card["name"] == XSS  # as text, escaped in the page
    assert "javascript:" not in page and "/static/img/" not in page and XSS not in page


def test_other_custom_payloads_are_not_cards() -> None:
    assert cards({"type": "map", "products": [{"sku": "X-1"}]}, STOREFRONT) == []
    assert cards({"type": "carousel", "products": "JKT-1"}, STOREFRONT) == []
    assert cards(json.dumps({"type": "carousel"}), STOREFRONT) == []


def test_a_price_in_yen_keeps_the_currency_and_no_decimals() -> None:
    (card,) = cards(
        {"type": "carousel", "products": [{"sku": "JP-1", "price": "500", "currency": "JPY"}]}, ""
    )
    assert card["price"] == "¥500" and card["url"] == "/product/JP-1" and card["name"] == "JP-1"
