"""The shop services the actions use, built once per action-server process."""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any, Callable, TypeVar

from shop.config import Settings
from shop.db.session import default_sessionmaker
from shop.handoff import HandoffService
from shop.identity import IdentityService
from shop.orders import OrderService
from shop.pricing.chat import PricingChat
from shop.pricing.service import PricingService
from shop.pricing.throttle import CodeAttemptThrottle
from shop.ratelimit import LookupRateLimiter
from shop.returns import ReturnService

T = TypeVar("T")


@cache
def settings() -> Settings:
    return Settings.from_env()


@cache
def identity() -> IdentityService:
    return IdentityService(default_sessionmaker(), settings())


@cache
def orders() -> OrderService:
    return OrderService(default_sessionmaker(), settings())


@cache
def returns() -> ReturnService:
    return ReturnService(default_sessionmaker(), settings())


@cache
def lookup_limiter() -> LookupRateLimiter:
    return LookupRateLimiter.from_env()


@cache
def handoff() -> HandoffService:
    return HandoffService(default_sessionmaker())


@cache
def pricing() -> PricingService:
    return PricingService(default_sessionmaker())


@cache
def pricing_chat() -> PricingChat:
    """Carts, codes and deals for the chat. Its ``promotion_price`` is the hook to pass as
    ``CatalogService(..., promotion_price=services.pricing_chat().promotion_price)``; its
    own catalog only resolves product names (no hook, so no cycle)."""
    from shop.catalog import CatalogService

    sessions = default_sessionmaker()
    return PricingChat(sessions, pricing(), CodeAttemptThrottle(sessions), CatalogService(sessions))


async def run_blocking(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking service call in a worker thread, off the event loop."""
    return await asyncio.to_thread(fn, *args, **kwargs)
