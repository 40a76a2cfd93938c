"""The storefront attacked from a browser: forged forms, redirects, stale carts, cookies, input.

The real app (``web.app.create_app``) on a migrated, seeded SQLite shop through aiohttp's test
client, and ``python -m web`` as a process for the start-up refusals and the production mode.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from aiohttp import FormData
from rasa_sdk import Tracker
from sqlalchemy import func, select

from actions.identity import signed_customer
from harness.paths import ROOT
from harness.ports import free_port
from harness.webapps import storefront as web_storefront
from shop.db.models import Customer, Order, Product
from shop.db.pricing_models import CartLineRow
from shop.secrets import generate
from shop.seed.demo import DEMO_CUSTOMERS, DEMO_ORDERS
from shop.signed_identity import sign
from shop.urls import safe_next
from tests.web.storefront import ShopClient, chat_config, config_for, csrf_of, shop_client
from web.config import StoreConfig
from web.session import CUSTOMER_COOKIE, SID_COOKIE, sign_cookie

ADDRESS = {
    "name": "Eve Attacker",
    "street": "1 Evil Way",
    "city": "Nowhere",
    "postcode": "666",
    "country": "US",
}
OPEN_REDIRECTS = [
    "//evil.com",
    "//evil.com/path",
    "///evil.com",
    "/\\evil.com",
    "/\\/evil.com",
    "\\\\evil.com",
    "/\t/evil.com",
    "/\n/evil.com",
    "/\r\n/evil.com",
    "/\x00/evil.com",
    "/\x0b/evil.com",
    "/\x7f/evil.com",
    "/ /evil.com",
    "https://evil.com",
    "http:evil.com",
    "javascript:alert(1)",
    "evil.com",
    "%2F%2Fevil.com",
    "/%2F%2Fevil.com",
    "/%2f/evil.com",
    "/%5Cevil.com",
    "/%09/evil.com",
    "/%252F%252Fevil.com",
    "/\u3000/evil.com",
    "/\uff0f\uff0fevil.com",
    "/" + "a" * 600,
]


@pytest.fixture
def shop(make_db: Callable[..., Any]) -> Any:
    return make_db("sqlite", True)


@pytest.fixture
async def client(shop: Any) -> AsyncIterator[ShopClient]:
    async with shop_client(config_for(shop.url)) as c:
        yield c


@pytest.fixture
async def production(shop: Any) -> AsyncIterator[ShopClient]:
    """The storefront as ``SHOP_ENV=production`` configures it (no demo switch)."""
    async with shop_client(config_for(shop.url, demo_mode=False)) as c:
        yield c


def customer_id(shop: Any, email: str) -> int:
    with shop.sessions() as s:
        return int(s.scalar(select(Customer.id).where(Customer.email == email)))


def cart_lines(shop: Any) -> int:
    with shop.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(CartLineRow)) or 0)


def order_count(shop: Any) -> int:
    with shop.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(Order)) or 0)


def in_stock_sku(shop: Any) -> str:
    with shop.sessions() as s:
        return str(s.scalar(select(Product.sku).where(Product.stock > 5).order_by(Product.id).limit(1)))


def cookie(client: ShopClient, name: str) -> str | None:
    for morsel in client.session.cookie_jar:
        if morsel.key == name:
            return morsel.value
    return None


async def sign_in(client: ShopClient, cid: int) -> None:
    resp = await client.post("/signin", data={"customer_id": str(cid), "next": "/"})
    assert resp.status == 200 and cookie(client, CUSTOMER_COOKIE)


def alex_address(shop: Any) -> tuple[int, str]:
    email = DEMO_ORDERS["shipped"][1]
    with shop.sessions() as s:
        order = s.scalars(select(Order).join(Customer).where(Customer.email == email).limit(1)).one()
        return int(order.customer_id), str(order.shipping_street)


# -- CSRF ---------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "wrong", "A" * 43, "x" * 5000])
async def test_cart_add_without_the_sessions_csrf_token_is_refused_and_changes_nothing(
    client: ShopClient, shop: Any, token: str | None
) -> None:
    await client.get("/")  # a session, as a victim's browser would have
    form = {"sku": in_stock_sku(shop), "quantity": "1"}
    if token is not None:
        form["csrf_token"] = token
    resp = await client.post_raw("/cart/add", data=form, allow_redirects=False)
    html = await resp.text()
    assert resp.status == 403
    assert 'id="refused-title"' in html and "Nothing was changed" in html
    assert cart_lines(shop) == 0


async def test_csrf_token_of_another_session_is_refused(client: ShopClient, shop: Any) -> None:
    victim_token = await client.token()
    client.session.cookie_jar.clear()  # the attacker's own browser: another shop_sid
    await client.get("/")
    resp = await client.post_raw(
        "/cart/add", data={"sku": in_stock_sku(shop), "csrf_token": victim_token}, allow_redirects=False
    )
    assert resp.status == 403 and cart_lines(shop) == 0


async def test_csrf_token_without_a_session_cookie_is_refused(client: ShopClient, shop: Any) -> None:
    token = await client.token()
    client.session.cookie_jar.clear()
    resp = await client.post_raw(
        "/cart/add", data={"sku": in_stock_sku(shop), "csrf_token": token}, allow_redirects=False
    )
    assert resp.status == 403 and cart_lines(shop) == 0


async def test_every_storefront_form_needs_the_csrf_token(client: ShopClient, shop: Any) -> None:
    cid = customer_id(shop, next(iter(DEMO_CUSTOMERS)))
    await sign_in(client, cid)
    sku = in_stock_sku(shop)
    assert (await client.post("/cart/add", data={"sku": sku, "quantity": "2"})).status == 200
    lines, orders = cart_lines(shop), order_count(shop)
    checkout = await (await client.get("/checkout")).text()
    key = checkout.split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]
    with shop.sessions() as s:
        product_id = s.scalar(select(Product.id).where(Product.sku == sku))
    forged = {
        "/cart/add": {"sku": sku, "quantity": "1"},
        "/cart/remove": {"product_id": str(product_id)},
        "/checkout": {"idempotency_key": key, **ADDRESS},
        "/signin": {"customer_id": "", "next": "/"},
    }
    for path, form in forged.items():
        resp = await client.post_raw(path, data=form, allow_redirects=False)
        assert resp.status == 403, path
    assert cart_lines(shop) == lines and order_count(shop) == orders
    assert cookie(client, CUSTOMER_COOKIE)  # still signed in: the forged sign-out did nothing
    # The same forms with the page's token work.
    resp = await client.post("/checkout", data={"idempotency_key": key, **ADDRESS}, allow_redirects=False)
    assert resp.status == 303 and order_count(shop) == orders + 1


async def test_json_and_header_less_posts_are_refused(client: ShopClient, shop: Any) -> None:
    await client.get("/")
    resp = await client.post_raw("/cart/add", json={"sku": in_stock_sku(shop)}, allow_redirects=False)
    assert resp.status == 403
    resp = await client.post_raw(
        "/cart/add",
        data={"sku": in_stock_sku(shop)},
        headers={"X-CSRF-Token": "forged"},
        allow_redirects=False,
    )
    assert resp.status == 403 and cart_lines(shop) == 0


async def test_session_cookies_are_httponly_and_samesite_lax(client: ShopClient, shop: Any) -> None:
    resp = await client.get("/")
    sid = resp.cookies[SID_COOKIE]
    assert sid["httponly"] and sid["samesite"] == "Lax"
    await client.post("/signin", data={"customer_id": str(customer_id(shop, next(iter(DEMO_CUSTOMERS))))})
    signed = [m for m in client.session.cookie_jar if m.key == CUSTOMER_COOKIE]
    assert signed and signed[0]["httponly"] and signed[0]["samesite"] == "Lax"
    assert resp.headers["X-Frame-Options"] == "DENY" and resp.headers["Cache-Control"] == "no-store"


# -- open redirects ----------------------------------------------------------------------


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
async def test_sign_in_never_redirects_off_site(client: ShopClient, target: str) -> None:
    resp = await client.post("/signin", data={"customer_id": "", "next": target}, allow_redirects=False)
    assert resp.status == 303
    assert resp.headers["Location"] == "/"


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_safe_next_refuses_off_site_targets(target: str) -> None:
    assert safe_next(target) == "/"


@pytest.mark.parametrize("target", ["/", "/cart", "/product/TR-1?x=1", "/?q=trail%20shoe&page=2", "/a%2Fb"])
async def test_sign_in_keeps_on_site_targets(client: ShopClient, target: str) -> None:
    resp = await client.post("/signin", data={"customer_id": "", "next": target}, allow_redirects=False)
    assert resp.headers["Location"] == target


# -- carts and addresses -----------------------------------------------------------------


async def test_cart_after_sign_out_is_empty(client: ShopClient, shop: Any) -> None:
    sku = in_stock_sku(shop)
    assert (await client.post("/cart/add", data={"sku": sku})).status == 200  # anonymous first
    await sign_in(client, customer_id(shop, next(iter(DEMO_CUSTOMERS))))
    html = await (await client.post("/cart/add", data={"sku": sku})).text()
    assert 'id="cart-count">2<' in html  # the anonymous cart was handed to the customer

    resp = await client.post("/signin", data={"customer_id": "", "next": "/cart"})
    html = await resp.text()
    assert resp.url.path == "/cart"
    assert "Your cart is empty." in html and 'id="cart-count">0<' in html
    assert sku not in html
    # ...and stays empty for this browser, while the customer's cart is still theirs.
    assert "Your cart is empty." in await (await client.get("/cart")).text()
    await sign_in(client, customer_id(shop, next(iter(DEMO_CUSTOMERS))))
    assert 'id="cart-count">2<' in await (await client.get("/cart")).text()


async def test_signed_in_customer_gets_their_own_address(client: ShopClient, shop: Any) -> None:
    cid, street = alex_address(shop)
    await sign_in(client, cid)
    await client.post("/cart/add", data={"sku": in_stock_sku(shop)})
    assert street in await (await client.get("/checkout")).text()


@pytest.mark.parametrize("forgery", ["chat_token", "known_secret", "other_secret", "expired", "deleted"])
async def test_forged_customer_cookie_prefills_no_address(
    client: ShopClient, shop: Any, forgery: str
) -> None:
    cid, street = alex_address(shop)
    config = client.config
    value = {
        # The page's own chat token for that customer, replayed as the cookie.
        "chat_token": sign(cid, config.identity_secret, audience="chat"),
        "known_secret": sign_cookie(cid, "dev-only-change-me"),
        "other_secret": sign_cookie(cid, generate()),
        "expired": sign(cid, config.cookie_secret, ttl_s=60, now=time.time() - 3600, audience="cookie"),
        "deleted": sign_cookie(10**9, config.cookie_secret),
    }[forgery]
    client.session.cookie_jar.update_cookies({CUSTOMER_COOKIE: value})
    resp = await client.get("/checkout")
    html = await resp.text()
    assert resp.status == 200
    assert street not in html and 'id="checkout-signin"' in html
    assert chat_config(html)["identityKey"] == "anonymous"


async def test_chat_token_from_the_page_does_not_sign_in_the_storefront(
    client: ShopClient, shop: Any
) -> None:
    cid = customer_id(shop, next(iter(DEMO_CUSTOMERS)))
    await sign_in(client, cid)
    chat_token = chat_config(await (await client.get("/")).text())["metadata"]["identity_token"]
    client.session.cookie_jar.clear()
    client.forget_token()
    client.session.cookie_jar.update_cookies({CUSTOMER_COOKIE: chat_token})
    assert chat_config(await (await client.get("/")).text())["identityKey"] == "anonymous"
    assert (await client.get(f"/order/{DEMO_ORDERS['shipped'][0]}")).status == 404


def tracker_with_token(token: str) -> Tracker:
    message = {
        "text": "where is my order",
        "intent": {"name": "order_status"},
        "metadata": {"identity_token": token},
    }
    return Tracker("socketio:attacker", {}, message, [], False, None, {}, "action_listen")


async def test_cookie_token_is_not_a_chat_token_for_the_action_server(
    client: ShopClient, shop: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_IDENTITY_SECRET", client.config.identity_secret)
    cid = customer_id(shop, next(iter(DEMO_CUSTOMERS)))
    await sign_in(client, cid)
    cookie_token = cookie(client, CUSTOMER_COOKIE)
    chat_token = chat_config(await (await client.get("/")).text())["metadata"]["identity_token"]
    assert cookie_token and chat_token
    assert signed_customer(tracker_with_token(chat_token)) == cid  # the widget's token works
    assert signed_customer(tracker_with_token(cookie_token)) is None  # the cookie never does
    # Even a cookie-audience token under the identity key is refused as a chat token.
    assert signed_customer(tracker_with_token(sign_cookie(cid, client.config.identity_secret))) is None


# -- the demo switch ---------------------------------------------------------------------


async def test_production_has_no_sign_in_switch(production: ShopClient, shop: Any) -> None:
    html = await (await production.get("/")).text()
    assert 'id="signin-switch"' not in html and "Signed in as" not in html
    for email in DEMO_CUSTOMERS:
        assert DEMO_CUSTOMERS[email] not in html
    token = csrf_of(html)
    cid = customer_id(shop, next(iter(DEMO_CUSTOMERS)))
    resp = await production.post_raw(
        "/signin", data={"customer_id": str(cid), "next": "/", "csrf_token": token}, allow_redirects=False
    )
    assert resp.status == 404
    assert cookie(production, CUSTOMER_COOKIE) is None


def test_production_settings_turn_demo_mode_off() -> None:
    keys = {"SHOP_IDENTITY_SECRET": generate(), "SHOP_COOKIE_SECRET": generate()}
    assert StoreConfig.from_env(keys).demo_mode
    assert not StoreConfig.from_env({**keys, "SHOP_ENV": "production"}).demo_mode
    assert not StoreConfig.from_env({**keys, "SHOP_ENV": "production", "SHOP_DEMO_MODE": "1"}).demo_mode
    assert not StoreConfig.from_env({**keys, "SHOP_DEMO_MODE": "0"}).demo_mode


# -- start-up refusals (the real process) --------------------------------------------------


def storefront_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOP_") and k != "STOREFRONT_PORT"}
    env.update({"SHOP_ENV": "production", "PYTHONUNBUFFERED": "1", **values})
    return env


STRONG = generate()
REFUSALS = {
    "both missing": ({}, "SHOP_IDENTITY_SECRET"),
    "cookie secret missing": ({"SHOP_IDENTITY_SECRET": STRONG}, "SHOP_COOKIE_SECRET"),
    "identity secret missing": ({"SHOP_COOKIE_SECRET": STRONG}, "SHOP_IDENTITY_SECRET"),
    "shipped identity secret": (
        {"SHOP_IDENTITY_SECRET": "dev-only-change-me", "SHOP_COOKIE_SECRET": STRONG},
        "SHOP_IDENTITY_SECRET",
    ),
    "shipped cookie secret": (
        {"SHOP_IDENTITY_SECRET": STRONG, "SHOP_COOKIE_SECRET": "dev-only-change-me"},
        "SHOP_COOKIE_SECRET",
    ),
    "short cookie secret": (
        {"SHOP_IDENTITY_SECRET": STRONG, "SHOP_COOKIE_SECRET": "short"},
        "SHOP_COOKIE_SECRET",
    ),
    "one value for both": (
        {"SHOP_IDENTITY_SECRET": STRONG, "SHOP_COOKIE_SECRET": STRONG},
        "SHOP_COOKIE_SECRET",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_storefront_refuses_to_start_without_its_secrets(case: str, tmp_path: Path) -> None:
    values, variable = REFUSALS[case]
    env = storefront_env(
        SHOP_DB_URL=f"sqlite:///{tmp_path / 'none.db'}", STOREFRONT_PORT=str(free_port()), **values
    )
    done = subprocess.run(
        [sys.executable, "-m", "web"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 78, done.stderr
    assert "storefront refuses to start" in done.stderr and variable in done.stderr
    assert "dev-only-change-me" not in done.stderr and STRONG not in done.stderr


@pytest.fixture
def production_process(shop: Any, tmp_path: Path) -> Iterator[str]:
    env = storefront_env(SHOP_DB_URL=shop.url, SHOP_IDENTITY_SECRET=generate(), SHOP_COOKIE_SECRET=generate())
    with web_storefront(env, tmp_path / "storefront.log", sys.executable) as app:
        yield app.url


def test_production_process_serves_no_switch_and_404s_it(production_process: str) -> None:
    with requests.Session() as browser:
        page = browser.get(production_process, timeout=30)
        assert page.status_code == 200 and 'id="signin-switch"' not in page.text
        token = csrf_of(page.text)
        resp = browser.post(
            f"{production_process}/signin",
            data={"customer_id": "1", "csrf_token": token},
            allow_redirects=False,
            timeout=30,
        )
        assert resp.status_code == 404 and CUSTOMER_COOKIE not in browser.cookies


# -- every other input -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/?page=abc", 400),
        ("/?page=-1", 400),
        ("/?page=0", 400),
        ("/?page=" + "9" * 30, 400),
        ("/?page=" + "9" * 5000, 400),
        ("/?page=2", 200),
        ("/?page=9999", 200),
        ("/?q=%00", 400),
        ("/?q=" + "x" * 5000, 400),
        ("/?q=%25%5F%5C", 200),
        ("/?q=%27%20OR%201%3D1--", 200),
        ("/?category=%00", 400),
        ("/?category=" + "c" * 5000, 400),
        ("/?category=Nope", 200),
        ("/product/%00", 404),
        ("/product/" + "A" * 1000, 404),
        ("/product/..%2F..%2Fetc%2Fpasswd", 404),
        ("/product/%27%20OR%201%3D1--", 404),
        ("/img/%00.svg", 404),
        ("/img/" + "A" * 1000 + ".svg", 404),
        ("/order/%00", 404),
        ("/order/" + "1" * 40, 404),
        ("/checkout?code=" + "A" * 5000, 400),
        ("/checkout?code=%00", 400),
        ("/checkout?code=" + ",".join(["X"] * 60), 200),
        ("/static/../web/config.py", 404),
        ("/static/%2e%2e/config.py", 404),
    ],
)
async def test_hostile_query_and_path_get_a_clear_4xx(client: ShopClient, path: str, status: int) -> None:
    resp = await client.get(path)
    assert resp.status == status, (path, await resp.text())


@pytest.mark.parametrize(
    ("form", "status"),
    [
        ({}, 404),
        ({"sku": ""}, 404),
        ({"sku": "\x00"}, 400),
        ({"sku": "A" * 5000}, 400),
        ({"sku": "{sku}", "quantity": "-1"}, 400),
        ({"sku": "{sku}", "quantity": "0"}, 400),
        ({"sku": "{sku}", "quantity": "101"}, 400),
        ({"sku": "{sku}", "quantity": "9" * 40}, 400),
        ({"sku": "{sku}", "quantity": "1.5"}, 400),
        ({"sku": "{sku}", "quantity": "one"}, 400),
        ({"sku": "{sku}", "quantity": "\x00"}, 400),
        ({"sku": "{sku}", "variant_id": "abc"}, 400),
        ({"sku": "{sku}", "variant_id": "-1"}, 400),
        ({"sku": "{sku}", "variant_id": "9" * 30}, 400),
        ({"sku": "{sku}", "variant_id": "999999"}, 400),
    ],
)
async def test_hostile_cart_add_gets_a_clear_4xx_and_adds_nothing(
    client: ShopClient, shop: Any, form: dict[str, str], status: int
) -> None:
    sku = in_stock_sku(shop)
    data = {k: v.replace("{sku}", sku) for k, v in form.items()}
    resp = await client.post("/cart/add", data=data, allow_redirects=False)
    assert resp.status == status, (data, await resp.text())
    assert cart_lines(shop) == 0


@pytest.mark.parametrize(
    "form",
    [{}, {"product_id": "abc"}, {"product_id": "9" * 30}, {"product_id": "1", "variant_id": "x"}],
)
async def test_hostile_cart_remove_gets_a_400(client: ShopClient, form: dict[str, str]) -> None:
    resp = await client.post("/cart/remove", data=form, allow_redirects=False)
    assert resp.status == 400


@pytest.mark.parametrize("customer", ["abc", "-1", "0", "9" * 30, "1.0", "\x00"])
async def test_hostile_sign_in_gets_a_400(client: ShopClient, customer: str) -> None:
    resp = await client.post("/signin", data={"customer_id": customer}, allow_redirects=False)
    assert resp.status == 400 and cookie(client, CUSTOMER_COOKIE) is None


async def test_sign_in_as_a_non_demo_customer_is_refused(client: ShopClient, shop: Any) -> None:
    with shop.sessions() as s:
        other = s.scalar(select(Customer.id).where(Customer.email.not_in(list(DEMO_CUSTOMERS))).limit(1))
    resp = await client.post("/signin", data={"customer_id": str(other)}, allow_redirects=False)
    assert resp.status == 400 and cookie(client, CUSTOMER_COOKIE) is None


@pytest.mark.parametrize(
    ("field", "value", "status"),
    [
        ("name", "Eve\x00", 400),
        ("name", "x" * 5000, 400),
        ("street", "1\r\nBcc: evil", 400),
        ("country", "USA", 400),
        ("country", "U1", 409),
        ("code", "A" * 5000, 400),
        ("code", ",".join(["SAVE10"] * 3 + ["A1", "B2", "C3", "D4", "E5"]), 409),
        ("idempotency_key", "k" * 5000, 400),
        ("idempotency_key", "short", 409),
    ],
)
async def test_hostile_checkout_gets_a_clear_4xx_and_places_nothing(
    client: ShopClient, shop: Any, field: str, value: str, status: int
) -> None:
    await sign_in(client, customer_id(shop, next(iter(DEMO_CUSTOMERS))))
    await client.post("/cart/add", data={"sku": in_stock_sku(shop)})
    html = await (await client.get("/checkout")).text()
    key = html.split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]
    before = order_count(shop)
    resp = await client.post(
        "/checkout", data={"idempotency_key": key, **ADDRESS, field: value}, allow_redirects=False
    )
    assert resp.status == status, await resp.text()
    assert order_count(shop) == before


@pytest.mark.parametrize(
    "cookies",
    [
        {SID_COOKIE: "x" * 4000},
        {SID_COOKIE: "../../etc"},
        {SID_COOKIE: ""},
        {CUSTOMER_COOKIE: "garbage"},
        {CUSTOMER_COOKIE: "a.b"},
        {CUSTOMER_COOKIE: "." * 300},
        {CUSTOMER_COOKIE: "A" * 4000},
        {CUSTOMER_COOKIE: "%00%ff"},
    ],
)
async def test_malformed_cookies_are_a_signed_out_visit(client: ShopClient, cookies: dict[str, str]) -> None:
    client.session.cookie_jar.update_cookies(cookies)
    for path in ("/", "/cart", "/checkout"):
        resp = await client.get(path)
        html = await resp.text()
        assert resp.status == 200, path
        assert chat_config(html)["identityKey"] == "anonymous"


async def test_uploaded_file_instead_of_a_field_is_a_400(client: ShopClient, shop: Any) -> None:
    form = FormData()
    form.add_field("csrf_token", await client.token())
    form.add_field("sku", b"TR-1", filename="sku.txt", content_type="text/plain")
    resp = await client.post_raw("/cart/add", data=form, allow_redirects=False)
    assert resp.status == 400 and cart_lines(shop) == 0


async def test_oversized_form_is_a_413(client: ShopClient, shop: Any) -> None:
    resp = await client.post("/cart/add", data={"sku": in_stock_sku(shop), "pad": "x" * 100_000})
    assert resp.status == 413 and cart_lines(shop) == 0
