"""Every link, picture and price in a chat carousel works on the storefront (issue 12).

The real assistant (the session's ``stack``) recommends; the real storefront (``python -m web``
in .venv-web, as ``make run`` starts it) runs on the stack's order DB. Each card's product URL
must open that product's page, its image URL must be a picture, and its price must be the one
the page shows. Then Chromium does what a shopper does: asks the widget, clicks a card, and
lands on the product (screenshot: docs/img/carousel-click.png).
"""

from __future__ import annotations

from collections.abc import Iterator
from html import escape
from typing import TYPE_CHECKING, Any, Dict, List
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from harness.chromium import chromium
from harness.paths import ROOT, require_web_assets, require_web_python
from harness.webapps import storefront
from shop.urls import image_url, product_url
from tests.web.browser import open_chat, say

if TYPE_CHECKING:
    from harness.stack import Stack

SCREENSHOT = ROOT / "docs" / "img" / "carousel-click.png"
REPLY_TIMEOUT_MS = 90_000
ASKS = [
    "I'm looking for a waterproof jacket",
    '/recommend_product{"product":"JKT-000002"}',  # the cards' "More like this" button
]


@pytest.fixture(scope="module")
def shop_url(stack: Stack) -> Iterator[str]:
    """The storefront on the stack's order DB, its widget talking to the stack's Rasa."""
    require_web_assets()
    env = {**stack.env, "RASA_PUBLIC_URL": stack.rasa_url}
    env.pop("STOREFRONT_PUBLIC_URL", None)  # the carousel's links are relative to the storefront
    with storefront(env, stack.workdir / "storefront.log", python=str(require_web_python())) as app:
        yield app.url


def carousel_cards(replies: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The products of the first carousel payload in ``replies``."""
    carousels = [r["custom"] for r in replies if isinstance(r.get("custom"), dict)]
    assert carousels and carousels[0]["type"] == "carousel", f"no carousel in {replies}"
    cards = list(carousels[0]["products"])
    assert cards, "an empty carousel"
    return cards


@pytest.mark.parametrize("ask", ASKS)
def test_every_carousel_link_opens_its_product_and_picture(
    stack: Stack, shop_url: str, sender: str, ask: str
) -> None:
    for card in carousel_cards(stack.say(sender, ask)):
        assert card["url"] == product_url(card["sku"]) and card["image"] == image_url(card["sku"])
        page = requests.get(urljoin(shop_url, card["url"]), timeout=30)
        assert page.status_code == 200, card["url"]
        assert f'<h1 id="product-name">{escape(card["title"])}</h1>' in page.text
        assert f'id="product-price">{card["price"]}<' in page.text, "the card's price is the page's"
        picture = requests.get(urljoin(shop_url, card["image"]), timeout=30)
        assert picture.status_code == 200, card["image"]
        assert picture.headers["Content-Type"].startswith("image/svg+xml")
        assert picture.text.startswith("<svg") and escape(card["title"]) in picture.text


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Browser, shop_url: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    pg = context.new_page()
    pg.set_default_timeout(REPLY_TIMEOUT_MS)
    pg.goto(shop_url)
    yield pg
    context.close()


def test_clicking_a_carousel_card_in_the_widget_opens_that_product(page: Page, shop_url: str) -> None:
    open_chat(page)
    say(page, ASKS[0])
    card = page.locator(".shopchat-carousel .shopchat-card").first
    expect(card).to_be_visible()
    sku = card.get_attribute("data-sku") or ""
    link = card.locator("a.shopchat-card-title")
    title = link.inner_text()
    assert sku and title
    # The cards take the numbered list's place: each product shows once, under the list's heading.
    bubbles = page.locator(".shopchat-bot .shopchat-bubble")
    expect(bubbles.filter(has_text=title)).to_have_count(0)
    expect(page.locator(".shopchat-bot", has=page.locator(".shopchat-carousel"))).to_contain_text(":")

    link.click()
    page.wait_for_url(urljoin(shop_url, product_url(sku)))
    assert urlsplit(page.url).path == product_url(sku)
    expect(page.locator("#product-name")).to_have_text(title)
    expect(page.locator(".product img")).to_have_attribute("src", image_url(sku))
    # The widget keeps the conversation across the page change: the carousel is still there.
    expect(page.locator(f'.shopchat-card[data-sku="{sku}"]')).to_have_count(1)
    expect(page.locator(".shopchat-bot .shopchat-bubble").filter(has_text=title)).to_have_count(0)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
