"""App factory: the DB engine is created on startup and disposed on cleanup."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from shop.checkout import CheckoutService
from shop.db.session import make_engine, make_sessionmaker
from shop.orders import OrderService
from shop.pricing.service import PricingService
from web.config import StoreConfig
from web.keys import CHECKOUT, CONFIG, ORDERS, PRICING, STORE
from web.routes import setup_routes
from web.session import session_middleware
from web.store import Store

HERE = Path(__file__).resolve().parent


def create_app(config: StoreConfig | None = None) -> web.Application:
    config = config or StoreConfig.from_env()
    app = web.Application(middlewares=[session_middleware], client_max_size=64 * 1024)
    app[CONFIG] = config
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
    )
    app.cleanup_ctx.append(_database)
    setup_routes(app, HERE / "static")
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    engine = make_engine(app[CONFIG].db_url)
    sessions = make_sessionmaker(engine)
    app[STORE] = Store(sessions)
    app[PRICING] = PricingService(sessions)
    app[CHECKOUT] = CheckoutService(sessions, app[PRICING])
    app[ORDERS] = OrderService(sessions)
    yield
    engine.dispose()
