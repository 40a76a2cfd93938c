"""The shop services the actions use, built once per action-server process."""

from __future__ import annotations

import asyncio
import logging
import threading
from functools import cache
from typing import TYPE_CHECKING, Any, Callable, TypeVar

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

if TYPE_CHECKING:  # pragma: no cover
    from shop.catalog import CatalogService
    from shop.recommend import Recommender

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
    return HandoffService(default_sessionmaker(), settings())


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


# -- catalog (products, recommendations) ---------------------------------------------------


def _promotion_hook() -> Any:
    """The pricing chat's running-promotion price, when pricing is wired in; else None."""
    factory = globals().get("pricing_chat")
    if factory is None:
        return None
    try:
        return factory().promotion_price
    except Exception:  # pricing is optional for product questions: plain prices then
        logging.getLogger(__name__).exception("pricing unavailable for product prices")
        return None


@cache
def catalog() -> CatalogService:
    from shop.catalog import CatalogService

    return CatalogService(default_sessionmaker(), promotion_price=_promotion_hook())


_recommender: Recommender | None = None
_recommender_lock = threading.Lock()


def recommender() -> Recommender:
    """The recommender over the FAISS index, loaded once.

    Raises :class:`shop.recommend.RecommenderUnavailable` (the index's ``CatalogIndexError``)
    while the index is missing or was built from another catalog; nothing is cached then,
    so a rebuilt index is picked up.
    """
    global _recommender
    with _recommender_lock:
        if _recommender is None:
            from catalog_index import load_index
            from shop.recommend import Recommender

            sessions = default_sessionmaker()
            index = load_index(session_factory=sessions)
            # Load the encoder here, under the lock: transformers' lazy imports are not
            # thread-safe, and a shopper's first search then waits for the warm-up instead.
            index.encode("warm up")
            _recommender = Recommender(index, sessions)
        return _recommender


def warm_up_catalog() -> None:
    """Load the index and the query encoder before the first shopper asks (first load ~10 s)."""
    try:
        recommender()
        catalog().find_products("warm up")
    except Exception as exc:  # reported again, politely, when a shopper asks
        logging.getLogger(__name__).warning("catalog warm-up failed: %s", exc)
