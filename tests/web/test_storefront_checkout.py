"""Storefront checkout through aiohttp's test client on a seeded SQLite shop."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, update

from shop.db.checkout_models import CheckoutRequest
from shop.db.models import Customer, Order
from shop.db.pricing_models import CouponRedemption, CouponRow
from shop.seed.demo import DEMO_CUSTOMERS
from tests.web.storefront import ShopClient, add_product, config_for, shop_client

ADDRESS = {
    "name": "Dana Demo",
    "street": "5 Elm St",
    "city": "Portland",
    "postcode": "97201",
    "country": "US",
}


@pytest.fixture
def shop(make_db: Callable[..., Any]) -> Any:
    db = make_db("sqlite", True)
    add_product(
        db.sessions, "CHK-1", "Checkout Boot", brand="Acme", category="Boots", description="A boot.",
        variants=[("CHK-1-42", "42", None, 7)],
    )  # fmt: skip
    with db.sessions.begin() as s:
        # The seed dates SAVE10 from its fixed "now"; the storefront runs on the wall clock.
        s.execute(
            update(CouponRow)
            .where(CouponRow.code == "SAVE10")
            .values(expires_at=datetime.utcnow() + timedelta(days=365))
        )
    return db


@pytest.fixture
async def client(shop: Any) -> AsyncIterator[ShopClient]:
    async with shop_client(config_for(shop.url)) as c:
        yield c


def scalar(shop: Any, stmt: Any) -> Any:
    with shop.sessions() as s:
        return s.scalar(stmt)


def usage(shop: Any, code: str) -> int:
    return int(scalar(shop, select(CouponRow.usage_count).where(CouponRow.code == code)))


def order_count(shop: Any) -> int:
    return int(scalar(shop, select(func.count()).select_from(Order)))


async def sign_in_and_fill(client: ShopClient, shop: Any) -> int:
    email = next(iter(DEMO_CUSTOMERS))
    cid = int(scalar(shop, select(Customer.id).where(Customer.email == email)))
    await client.post("/signin", data={"customer_id": str(cid), "next": "/"})
    resp = await client.post("/cart/add", data={"sku": "CHK-1", "quantity": "2"})
    assert "Subtotal: $99.80" in await resp.text()
    return cid


def key_of(html: str) -> str:
    found = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert found, "checkout page has no idempotency key"
    return found.group(1)


async def test_checkout_page_quotes_and_requotes_with_a_code(client: ShopClient, shop: Any) -> None:
    await sign_in_and_fill(client, shop)
    plain = await (await client.get("/checkout")).text()
    assert "Checkout Boot" in plain and 'id="checkout-total">$99.80<' in plain
    with_code = await (await client.get("/checkout", params={"code": "save10"})).text()
    assert "SAVE10: -$9.98" in with_code and 'id="checkout-total">$89.82<' in with_code
    assert key_of(plain) != key_of(with_code)  # a fresh key per render
    expired = await (await client.get("/checkout", params={"code": "SUMMER25"})).text()
    assert 'data-reason="expired"' in expired


async def test_checkout_page_refuses_more_codes_than_an_order_takes(client: ShopClient, shop: Any) -> None:
    await sign_in_and_fill(client, shop)
    resp = await client.get("/checkout", params={"code": "A1,B2,C3,D4,E5,F6"})
    html = await resp.text()
    assert resp.status == 400 and "At most 5 codes per order" in html
    assert 'id="checkout-total"' not in html and 'id="place-order"' not in html


async def test_place_order_with_save10_writes_order_redemption_and_counter(
    client: ShopClient, shop: Any
) -> None:
    cid = await sign_in_and_fill(client, shop)
    before_orders, before_use = order_count(shop), usage(shop, "SAVE10")
    key = key_of(await (await client.get("/checkout", params={"code": "SAVE10"})).text())

    resp = await client.post("/checkout", data={"idempotency_key": key, "code": "SAVE10", **ADDRESS})
    html = await resp.text()

    assert resp.status == 200 and resp.url.path.startswith("/order/")
    number = resp.url.path.rsplit("/", 1)[1]
    assert f'id="order-number">{number}<' in html and 'id="order-total">$89.82<' in html
    assert order_count(shop) == before_orders + 1
    with shop.sessions() as s:
        order = s.scalars(select(Order).where(Order.order_number == number)).one()
        assert order.customer_id == cid and order.status == "pending"
        assert Decimal(str(order.total)) == Decimal("89.82")
        redemption = s.scalars(select(CouponRedemption).where(CouponRedemption.order_id == order.id)).one()
        assert redemption.code == "SAVE10" and redemption.customer_id == cid
    assert usage(shop, "SAVE10") == before_use + 1
    assert 'id="cart-count">0<' in html


async def test_double_submit_with_the_same_key_places_one_order(client: ShopClient, shop: Any) -> None:
    await sign_in_and_fill(client, shop)
    before_orders, before_use = order_count(shop), usage(shop, "SAVE10")
    key = key_of(await (await client.get("/checkout", params={"code": "SAVE10"})).text())
    form = {"idempotency_key": key, "code": "SAVE10", **ADDRESS}

    first = await client.post("/checkout", data=form, allow_redirects=False)
    second = await client.post("/checkout", data=form, allow_redirects=False)

    assert first.status == second.status == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert order_count(shop) == before_orders + 1
    assert usage(shop, "SAVE10") == before_use + 1
    assert scalar(shop, select(func.count()).select_from(CheckoutRequest)) == 1


async def test_expired_code_is_refused_with_its_reason_and_nothing_is_written(
    client: ShopClient, shop: Any
) -> None:
    await sign_in_and_fill(client, shop)
    before_orders, before_use = order_count(shop), usage(shop, "SUMMER25")
    key = key_of(await (await client.get("/checkout")).text())

    resp = await client.post("/checkout", data={"idempotency_key": key, "code": "SUMMER25", **ADDRESS})
    html = await resp.text()

    assert resp.status == 409
    assert 'id="checkout-error"' in html and "expired" in html
    assert order_count(shop) == before_orders and usage(shop, "SUMMER25") == before_use
    assert scalar(shop, select(func.count()).select_from(CheckoutRequest)) == 0
    assert 'id="cart-count">2<' in html  # the cart is untouched
    assert key_of(html) != key  # a retry gets a fresh page and key


async def test_anonymous_checkout_is_refused(client: ShopClient, shop: Any) -> None:
    await client.post("/cart/add", data={"sku": "CHK-1"})
    page = await (await client.get("/checkout")).text()
    assert "Please sign in to place an order" in page and 'id="place-order"' not in page
    before = order_count(shop)
    resp = await client.post("/checkout", data={"idempotency_key": "anon-key-00001", **ADDRESS})
    assert resp.status == 403 and "Please sign in to place an order." in await resp.text()
    assert order_count(shop) == before


async def test_confirmation_page_only_for_the_orders_customer(client: ShopClient, shop: Any) -> None:
    await sign_in_and_fill(client, shop)
    key = key_of(await (await client.get("/checkout")).text())
    resp = await client.post("/checkout", data={"idempotency_key": key, **ADDRESS})
    path = resp.url.path
    assert (await client.get(path)).status == 200
    await client.post("/signin", data={"customer_id": "", "next": "/"})
    assert (await client.get(path)).status == 404
    assert (await client.get("/order/not-a-number")).status == 404
