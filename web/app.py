"""App factory: the DB engine is created on startup and disposed on cleanup.

Templates get shop's builders as globals - ``product_url(sku)``, ``image_url(sku)`` and
``format_money(amount, currency)`` - so a page links and prices exactly as the chat does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from shop.catalog import CatalogService
from shop.checkout import CheckoutService
from shop.db.session import make_engine, make_sessionmaker
from shop.money import format_money
from shop.orders import OrderService
from shop.pricing.service import PricingService
from shop.urls import image_url, product_url
from web.config import StoreConfig
from web.forms import BadInput
from web.keys import CATALOG, CHECKOUT, CONFIG, ORDERS, PRICING, STORE
from web.routes import setup_routes
from web.session import Handler, csrf_middleware, session_middleware
from web.store import Store
from web.views import bad_request

HERE = Path(__file__).resolve().parent


def create_app(config: StoreConfig | None = None) -> web.Application:
    """The storefront app for ``config`` (default: from the environment), ready to run."""
    config = config or StoreConfig.from_env()
    app = web.Application(
        middlewares=[security_headers_middleware, session_middleware, csrf_middleware, bad_input_middleware],
        client_max_size=64 * 1024,
    )
    app[CONFIG] = config
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
    )
    env.globals.update(product_url=product_url, image_url=image_url, format_money=format_money)
    app.cleanup_ctx.append(_database)
    setup_routes(app, HERE / "static", demo_mode=config.demo_mode)
    return app


@web.middleware
async def bad_input_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A field the storefront will not use (:class:`web.forms.BadInput`) is a 400 page, not a 500."""
    try:
        return await handler(request)
    except BadInput as bad:
        return bad_request(request, str(bad))


@web.middleware
async def security_headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """No framing (the forms act on a click), no type sniffing, no cached pages.

    Pages hold the shopper's chat identity token and CSRF token: never stored by a cache.
    Outermost, so error pages and redirects raised by a view carry the headers too.
    """
    try:
        response = await handler(request)
    except web.HTTPException as error:
        _security_headers(error)
        raise
    _security_headers(response)
    return response


def _security_headers(response: web.StreamResponse) -> None:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if response.content_type == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")


async def _database(app: web.Application) -> AsyncIterator[None]:
    engine = make_engine(app[CONFIG].db_url)
    sessions = make_sessionmaker(engine)
    app[CATALOG] = CatalogService(sessions)
    app[STORE] = Store(sessions, app[CATALOG])
    app[PRICING] = PricingService(sessions)
    app[CHECKOUT] = CheckoutService(sessions, app[PRICING])
    app[ORDERS] = OrderService(sessions)
    yield
    engine.dispose()
