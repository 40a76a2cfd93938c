"""The real storefront app in aiohttp's test client, posting forms the way a browser does.

:class:`ShopClient` reads the CSRF token from a page it was served (like a browser posting a
form that page rendered) and adds it to every ``post``; ``post_raw`` sends exactly what it is given.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.orm import sessionmaker

from shop.db.models import Product, ProductVariant
from shop.secrets import generate
from web.app import create_app
from web.config import StoreConfig

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def config_for(db_url: str, **overrides: Any) -> StoreConfig:
    """Storefront settings for a test DB, with fresh random secrets."""
    fields: dict[str, Any] = {
        "db_url": db_url,
        "rasa_url": "http://rasa.test:5005",
        "identity_secret": generate(),
        "cookie_secret": generate(),
    }
    fields.update(overrides)
    return StoreConfig(**fields)


def add_product(
    sessions: sessionmaker,
    sku: str,
    name: str,
    *,
    price: str = "49.90",
    stock: int = 7,
    variants: Sequence[tuple[str, str | None, str | None, int]] = (),
    **fields: Any,
) -> int:
    """A product (and its ``(sku, size, color, stock)`` variants) in a test shop; its id."""
    with sessions.begin() as s:
        product = Product(sku=sku, name=name, price=Decimal(price), stock=stock, **fields)
        s.add(product)
        s.flush()
        for vsku, size, color, vstock in variants:
            s.add(ProductVariant(product_id=product.id, sku=vsku, size=size, color=color, stock=vstock))
        return int(product.id)


def csrf_of(html: str) -> str:
    found = CSRF_META.search(html)
    assert found, "page has no CSRF token"
    return found.group(1)


def chat_config(html: str) -> dict[str, Any]:
    found = re.search(r'<script id="shopchat-config" type="application/json">(.*?)</script>', html, re.S)
    assert found, "page has no chat config"
    return dict(json.loads(found.group(1)))


class ShopClient:
    """A browser-like client: GETs as given, form POSTs with the session's CSRF token."""

    def __init__(self, client: TestClient, config: StoreConfig) -> None:
        self.client = client
        self.config = config
        self.session = client.session
        self._token: str | None = None

    async def get(self, path: str, **kwargs: Any) -> ClientResponse:
        return await self.client.get(path, **kwargs)

    async def token(self) -> str:
        """This session's CSRF token, read from a served page (every page carries it)."""
        if self._token is None:
            self._token = csrf_of(await (await self.client.get("/")).text())
        return self._token

    def forget_token(self) -> None:
        """After the session id changes (cookies cleared), read the token again."""
        self._token = None

    async def post(self, path: str, data: dict[str, str] | None = None, **kwargs: Any) -> ClientResponse:
        form = dict(data or {})
        form.setdefault("csrf_token", await self.token())
        return await self.client.post(path, data=form, **kwargs)

    async def post_raw(self, path: str, **kwargs: Any) -> ClientResponse:
        return await self.client.post(path, **kwargs)


@asynccontextmanager
async def shop_client(config: StoreConfig) -> AsyncIterator[ShopClient]:
    async with TestClient(TestServer(create_app(config))) as client:
        yield ShopClient(client, config)
