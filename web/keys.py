"""Typed keys of what the app holds."""

from __future__ import annotations

from aiohttp import web

from shop.catalog import CatalogService
from shop.checkout import CheckoutService
from shop.orders import OrderService
from shop.pricing.service import PricingService
from web.config import StoreConfig
from web.store import Store

CONFIG = web.AppKey("config", StoreConfig)
STORE = web.AppKey("store", Store)
CATALOG = web.AppKey("catalog", CatalogService)
PRICING = web.AppKey("pricing", PricingService)
CHECKOUT = web.AppKey("checkout", CheckoutService)
ORDERS = web.AppKey("orders", OrderService)
