"""Every product link and picture the storefront renders is shop.urls' and answers on its routes.

The chat's carousels link the same ``product_url`` / ``image_url`` (tests/e2e/test_carousel_links.py
follows them from a real recommendation); here the storefront's own pages are checked, with
SKUs that only reach their page when the URL escapes them.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from html import unescape
from typing import Any

import pytest

from shop.urls import IMAGE_PATH, PRODUCT_PATH, image_url, product_url
from tests.web.storefront import ShopClient, add_product, config_for, shop_client
from web.app import create_app

#: SKUs a path would misread unescaped: a slash, a space, ``#``, ``?``, ``%``, ``+``, a dot.
#: (Non-ASCII SKUs are escaped too, see below, but CatalogService.get matches SKUs with SQL
#: ``lower()``, which SQLite applies to ASCII only; catalog import allows A-Z, 0-9 and "-".)
ODD_SKUS = ["A/B C", "TEE#1?x=2", "50%-OFF", "PLUS+SIGN", "DOT.SVG", "X%2FY", "semi;colon"]


@pytest.fixture
def shop(make_db: Callable[..., Any]) -> Any:
    db = make_db("sqlite", False)
    for i, sku in enumerate(ODD_SKUS):
        add_product(db.sessions, sku, f"Odd Product {i}", brand="Oddly", category="Odd", price="12.50")
    return db


@pytest.fixture
async def client(shop: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[ShopClient]:
    monkeypatch.delenv("STOREFRONT_PUBLIC_URL", raising=False)
    async with shop_client(config_for(shop.url)) as c:
        yield c


def test_product_and_image_urls_escape_every_reserved_character() -> None:
    assert product_url("A/B C", env={}) == "/product/A%2FB%20C"
    assert image_url("TEE#1?x=2", env={}) == "/img/TEE%231%3Fx%3D2.svg"
    assert product_url("50%-OFF", env={}) == "/product/50%25-OFF"
    assert product_url("X%2FY", env={}) == "/product/X%252FY"  # a literal "%2F" stays literal
    assert image_url("ÉTÉ-1", env={}) == "/img/%C3%89T%C3%89-1.svg"
    assert product_url("PLUS+SIGN", env={}) == "/product/PLUS%2BSIGN"


def test_urls_are_absolute_under_the_public_base_only() -> None:
    env = {"STOREFRONT_PUBLIC_URL": " https://shop.example.com/ "}
    assert product_url("A/B C", env=env) == "https://shop.example.com/product/A%2FB%20C"
    assert image_url("JKT-1", env=env) == "https://shop.example.com/img/JKT-1.svg"
    assert product_url("JKT-1", env={"STOREFRONT_PUBLIC_URL": ""}) == "/product/JKT-1"


def test_storefront_routes_are_the_shop_url_patterns(shop: Any) -> None:
    app = create_app(config_for(shop.url))
    assert app.router["product"].canonical == PRODUCT_PATH
    assert app.router["product_image"].canonical == IMAGE_PATH


@pytest.mark.parametrize("sku", ODD_SKUS)
async def test_an_escaped_sku_reaches_its_own_page_and_picture(client: ShopClient, sku: str) -> None:
    name = f"Odd Product {ODD_SKUS.index(sku)}"
    page = await client.get(product_url(sku))
    html = await page.text()
    assert page.status == 200
    assert f'<h1 id="product-name">{name}</h1>' in html
    assert f'src="{image_url(sku)}"' in unescape(html)
    picture = await client.get(image_url(sku))
    assert picture.status == 200 and picture.content_type == "image/svg+xml"
    assert f'aria-label="{name}"' in await picture.text()


async def test_every_grid_card_links_its_product_and_picture(client: ShopClient) -> None:
    html = unescape(await (await client.get("/", params={"category": "Odd"})).text())
    links = set(re.findall(r'<a href="(/product/[^"]+)"', html))
    pictures = set(re.findall(r'<img src="(/img/[^"]+)"', html))
    assert links == {product_url(sku) for sku in ODD_SKUS}
    assert pictures == {image_url(sku) for sku in ODD_SKUS}
    for link in links:
        assert (await client.get(link)).status == 200


async def test_grid_and_product_prices_are_formatted_with_the_currency(client: ShopClient) -> None:
    grid = await (await client.get("/", params={"category": "Odd"})).text()
    assert '<p class="price">$12.50</p>' in grid
    page = await (await client.get(product_url("DOT.SVG"))).text()
    assert 'id="product-price">$12.50<' in page
