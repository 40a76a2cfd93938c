"""Chromium (Playwright) on the console's transcript of a conversation with a carousel: the
cards show the real storefront's pictures, names and prices, and a card's link opens that
product's page on the storefront (``python -m web`` on the same seeded shop DB).

The screenshot goes to test-artifacts/console-carousel.png (docs/img/console-carousel.png
is a copy of one).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from actions.carousel import carousel_payload
from harness.chromium import async_chromium
from harness.env import default_env
from harness.paths import ROOT
from harness.webapps import storefront
from shop.db.models import Product
from shop.db.session import make_engine
from shop.money import format_money
from shop.urls import image_url, product_url
from tests.console.conftest import BASE_TS, PASSWORD, action, bot, open_console, user

ARTIFACTS = ROOT / "test-artifacts"


@dataclass(frozen=True)
class Picked:
    """What ``carousel_payload`` reads of a recommendation: a product of the seeded catalog."""

    sku: str
    name: str
    brand: str
    price: Decimal

    @property
    def url(self) -> str:
        return product_url(self.sku, {})

    @property
    def image_url(self) -> str:
        return image_url(self.sku, {})


def _products(db_url: str, n: int) -> list[Picked]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Product.sku, Product.name, Product.brand, Product.price).order_by(Product.id).limit(n)
            ).all()
    finally:
        engine.dispose()
    return [Picked(r.sku, r.name, r.brand, Decimal(str(r.price))) for r in rows]


async def test_carousel_cards_show_storefront_pictures_and_open_the_product(
    env: Any, make_db: Any, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    shop = make_db("sqlite", True)
    picked = _products(shop.url, 3)
    assert len(picked) == 3
    events = [
        user("any warm jackets?", "recommend_product", 0.94, BASE_TS + 7200),
        action("action_recommend", BASE_TS + 7201),
        bot("Here are a few you might like:", BASE_TS + 7201, carousel_payload(picked)),
    ]
    await asyncio.to_thread(env.tracker.add, "conv-carousel", events)
    web_env = {**default_env(), "SHOP_DB_URL": shop.url}
    with storefront(web_env, tmp_path / "storefront.log") as shop_app:
        async with open_console(env, shop_db_url=shop.url, storefront_url=shop_app.url) as console:
            base = str(console.client.make_url("")).rstrip("/")
            async with async_chromium() as browser:
                context = await browser.new_context(viewport={"width": 1100, "height": 640})
                page = await context.new_page()
                await page.goto(base + "/login")
                await page.fill("input[name=username]", "admin")
                await page.fill("input[name=password]", PASSWORD)
                await page.click("form.login button")
                await page.click("text=Read new conversations now")
                await page.goto(base + "/conversations/conv-carousel")

                cards = page.locator(".ev.bot .card")
                await expect(cards).to_have_count(3)
                for card, product in zip(await cards.all(), picked, strict=True):
                    await expect(card.locator(".card-name")).to_have_text(product.name)
                    await expect(card.locator(".card-price")).to_have_text(format_money(product.price))
                # every picture came from the storefront and was drawn (CSP let it in)
                await page.wait_for_function(
                    "() => [...document.querySelectorAll('.card img')]"
                    ".every(i => i.complete && i.naturalWidth > 0)"
                )
                assert await page.locator(".ev.bot .custom").count() == 0  # no raw JSON
                ARTIFACTS.mkdir(exist_ok=True)
                await page.locator(".ev.bot", has=page.locator(".card")).screenshot(
                    path=str(ARTIFACTS / "console-carousel.png")
                )

                async with context.expect_page() as opened:
                    await cards.first.locator("a").click()
                product_page = await opened.value
                await product_page.wait_for_load_state()
                assert product_page.url == f"{shop_app.url}/product/{picked[0].sku}"
                await expect(product_page.locator("h1")).to_contain_text(picked[0].name)
