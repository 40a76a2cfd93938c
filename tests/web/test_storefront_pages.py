"""The storefront through aiohttp's test client on a seeded SQLite shop."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import select

from shop.db.models import Customer, ProductVariant
from shop.secrets import generate
from shop.seed.demo import DEMO_CUSTOMERS
from shop.signed_identity import verify
from tests.web.storefront import ShopClient, add_product, chat_config, config_for, shop_client
from web.config import StoreConfig

EVIL = '<script>alert("x")</script>'


@pytest.fixture
def shop(make_db: Callable[..., Any]) -> Any:
    db = make_db("sqlite", True)
    add_product(
        db.sessions, "EVIL-1", f"Boot {EVIL}", brand="Acme & Co", category="Boots",
        description="Waterproof <b>leather</b> boot.",
        variants=[("EVIL-1-42", "42", "Brown", 3), ("EVIL-1-43", "43", "Brown", 4)],
    )  # fmt: skip
    return db


@pytest.fixture
async def client(shop: Any) -> AsyncIterator[ShopClient]:
    async with shop_client(config_for(shop.url)) as c:
        yield c


def customer_id(shop: Any, email: str) -> int:
    with shop.sessions() as s:
        return int(s.scalar(select(Customer.id).where(Customer.email == email)))


async def test_home_lists_products_and_embeds_the_widget(client: ShopClient) -> None:
    resp = await client.get("/")
    html = await resp.text()
    assert resp.status == 200
    assert (
        'class="grid"' in html and "/static/widget.js" in html and "/static/vendor/socket.io.min.js" in html
    )
    config = chat_config(html)
    assert config["socketUrl"] == "http://rasa.test:5005"
    assert config["metadata"] == {} and config["identityKey"] == "anonymous"
    assert "shop_sid" in resp.cookies


async def test_category_filter_and_search(client: ShopClient) -> None:
    html = await (await client.get("/", params={"category": "Boots"})).text()
    assert "EVIL-1" in html
    html = await (await client.get("/", params={"q": "acme"})).text()
    assert "/product/EVIL-1" in html and "1 product " in html
    html = await (await client.get("/", params={"q": "no-such-thing-anywhere"})).text()
    assert "No products match." in html


async def test_html_in_product_names_and_search_is_escaped(client: ShopClient) -> None:
    html = await (await client.get("/", params={"q": EVIL})).text()
    assert EVIL not in html
    assert "&lt;script&gt;" in html
    product = await (await client.get("/product/EVIL-1")).text()
    assert EVIL not in product and "<b>leather</b>" not in product
    assert "Boot &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in product


async def test_product_page_shows_price_options_and_stock(client: ShopClient) -> None:
    resp = await client.get("/product/EVIL-1")
    html = await resp.text()
    assert resp.status == 200
    assert "$49.90" in html and "Acme &amp; Co" in html
    assert 'id="product-stock">In stock: 7<' in html
    assert "Sizes: 42, 43" in html and "Colours: Brown" in html
    assert (await client.get("/product/NOPE")).status == 404


async def test_product_image_is_a_local_svg(client: ShopClient) -> None:
    resp = await client.get("/img/EVIL-1.svg")
    body = await resp.text()
    assert resp.status == 200 and resp.content_type == "image/svg+xml"
    assert body.startswith("<svg") and "<script" not in body
    assert (await client.get("/img/NOPE.svg")).status == 404


async def test_cart_add_and_remove(client: ShopClient, shop: Any) -> None:
    assert "Your cart is empty." in await (await client.get("/cart")).text()
    with shop.sessions() as s:
        variant = s.scalars(select(ProductVariant).where(ProductVariant.sku == "EVIL-1-43")).one()
    resp = await client.post(
        "/cart/add", data={"sku": "EVIL-1", "variant_id": str(variant.id), "quantity": "2"}
    )
    html = await resp.text()  # redirected to /cart
    assert resp.url.path == "/cart"
    assert "EVIL-1-43" in html and "Subtotal: $99.80" in html
    assert 'id="cart-count">2<' in html
    resp = await client.post(
        "/cart/remove", data={"product_id": str(variant.product_id), "variant_id": str(variant.id)}
    )
    assert "Your cart is empty." in await resp.text()


async def test_cart_refuses_unknown_products_and_bad_quantities(client: ShopClient) -> None:
    resp = await client.post("/cart/add", data={"sku": "NOPE"})
    assert resp.status == 404 and "couldn" in await resp.text()
    for bad in ("-3", "0", "101", "abc", "1e3", "9" * 40):
        resp = await client.post("/cart/add", data={"sku": "EVIL-1", "quantity": bad})
        html = await resp.text()
        assert resp.status == 400, bad
        assert 'id="cart-error"' in html and "Your cart is empty." in html


async def test_sign_in_switch_puts_a_signed_identity_token_into_the_page(
    client: ShopClient, shop: Any
) -> None:
    email = next(iter(DEMO_CUSTOMERS))
    cid = customer_id(shop, email)
    resp = await client.post("/signin", data={"customer_id": str(cid), "next": "/cart"})
    html = await resp.text()
    assert resp.url.path == "/cart"
    assert f"Hi {DEMO_CUSTOMERS[email]}" in html
    config = chat_config(html)
    assert config["identityKey"] == f"customer:{cid}"
    assert verify(config["metadata"]["identity_token"], client.config.identity_secret) == cid
    assert email not in html  # the page never needs the shopper's email

    resp = await client.post("/signin", data={"customer_id": "", "next": "/"})
    config = chat_config(await resp.text())
    assert config["metadata"] == {} and config["identityKey"] == "anonymous"


async def test_sign_in_only_as_demo_customers_and_redirects_stay_on_site(
    client: ShopClient, shop: Any
) -> None:
    with shop.sessions() as s:
        other = s.scalar(select(Customer.id).where(Customer.email.not_in(list(DEMO_CUSTOMERS))).limit(1))
    assert (await client.post("/signin", data={"customer_id": str(other)})).status == 400
    resp = await client.post(
        "/signin", data={"customer_id": "", "next": "//evil.example/"}, allow_redirects=False
    )
    assert resp.headers["Location"] == "/"


async def test_forged_customer_cookie_is_ignored(client: ShopClient, shop: Any) -> None:
    from shop.signed_identity import sign

    cid = customer_id(shop, next(iter(DEMO_CUSTOMERS)))
    client.session.cookie_jar.update_cookies({"shop_customer": sign(cid, "not-the-secret")})
    config = chat_config(await (await client.get("/")).text())
    assert config["identityKey"] == "anonymous" and config["metadata"] == {}


async def test_chat_config_offers_the_shops_languages(client: ShopClient) -> None:
    config = chat_config(await (await client.get("/")).text())
    assert config["languages"] == ["en", "zh"] and "language" not in config  # the browser chooses


async def test_a_shop_with_one_language_fixes_the_widgets(shop: Any) -> None:
    async with shop_client(config_for(shop.url, languages=("zh",))) as c:
        config = chat_config(await (await c.get("/")).text())
    assert config["languages"] == ["zh"] and config["language"] == "zh"


def test_shop_languages_come_from_the_environment() -> None:
    env = {"SHOP_IDENTITY_SECRET": generate(), "SHOP_COOKIE_SECRET": generate(), "SHOP_LANGUAGES": " ZH "}
    assert StoreConfig.from_env(env).chat_language == "zh"
    env["SHOP_LANGUAGES"] = "zh,en,zh"
    config = StoreConfig.from_env(env)
    assert config.languages == ("zh", "en") and config.chat_language is None
