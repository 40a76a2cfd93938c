"""The shop services the actions use, built once per action-server process.

The action server runs calls on ``ACTION_WORKERS`` threads, so two shoppers' first
messages can ask for the same service at the same moment. Every factory here is
:class:`once`: the first caller builds the service under a lock, everyone else waits for
that one instance (``functools.cache`` would let both build it, e.g. two engines/pools).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from typing import TYPE_CHECKING, Any, Callable, Generic, TypeVar

from sqlalchemy.orm import sessionmaker

from shop.config import Settings
from shop.db.session import default_sessionmaker
from shop.handoff import HandoffService
from shop.identity import IdentityService
from shop.lookup_rate import LookupRateLimiter
from shop.orders import OrderService
from shop.pricing.chat import PricingChat
from shop.pricing.service import PricingService
from shop.pricing.throttle import CodeAttemptThrottle
from shop.returns import ReturnService

if TYPE_CHECKING:  # pragma: no cover
    from shop.catalog import CatalogService
    from shop.recommend import Recommender

T = TypeVar("T")


class once(Generic[T]):  # lower-case: a decorator, like functools.cache
    """A zero-argument factory whose result is built exactly once, thread-safely.

    Double-checked: after the first build a call is a plain read. A factory that raises
    caches nothing, so the next call tries again (a database that was down at start-up).
    """

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._built: list[T] = []  # empty until built; a list so ``None`` could be a value
        functools.update_wrapper(self, factory)

    def __call__(self) -> T:
        """The one instance, building it on first use while other callers wait."""
        if self._built:
            return self._built[0]
        with self._lock:
            if not self._built:
                self._built.append(self._factory())
            return self._built[0]

    def cache_clear(self) -> None:
        """Forget the instance (tests; a changed environment); the next call builds anew."""
        with self._lock:
            self._built.clear()


@once
def sessions() -> sessionmaker:
    """The one session factory (one engine, one pool) every service below shares."""
    return default_sessionmaker()


@once
def settings() -> Settings:
    """The shop settings from the environment, read once."""
    return Settings.from_env()


@once
def languages() -> tuple[str, ...]:
    """The shop's languages (``SHOP_LANGUAGES``, the first is the default), read once."""
    from shop.language import config_from

    return config_from().languages


@once
def identity() -> IdentityService:
    """Identity proofs and the guessing counters."""
    return IdentityService(sessions(), settings())


@once
def orders() -> OrderService:
    """Order lookups and cancellation."""
    return OrderService(sessions(), settings())


@once
def returns() -> ReturnService:
    """Return eligibility, RMAs and their status."""
    return ReturnService(sessions(), settings())


@once
def lookup_limiter() -> LookupRateLimiter:
    """The per-conversation and per-address lookup rate limit."""
    return LookupRateLimiter.from_env()


@once
def handoff() -> HandoffService:
    """Hand-off requests to a person."""
    return HandoffService(sessions(), settings())


@once
def pricing() -> PricingService:
    """Coupons, promotions and carts."""
    return PricingService(sessions())


@once
def pricing_chat() -> PricingChat:
    """Carts, codes and deals for the chat. Its ``promotion_price`` is the hook to pass as
    ``CatalogService(..., promotion_price=services.pricing_chat().promotion_price)``; its
    own catalog only resolves product names (no hook, so no cycle)."""
    from shop.catalog import CatalogService

    factory = sessions()
    return PricingChat(factory, pricing(), CodeAttemptThrottle(factory), CatalogService(factory))


async def run_blocking(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking service call off the server's event loop.

    On the main thread (a loop serving every call, as rasa_sdk's own server runs) the call
    goes to a thread. On any other thread it runs right here: ``actions.server`` runs each
    action call on a worker thread with a loop of its own serving that call alone, where a
    blocking call stalls nothing else (the form validators' checks run so already), and a
    second hop to another thread only added wake-ups (issue 13, docs/performance.md).
    """
    if threading.current_thread() is threading.main_thread():
        return await asyncio.to_thread(fn, *args, **kwargs)
    return fn(*args, **kwargs)


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


@once
def catalog() -> CatalogService:
    """Product lookups for product questions, with running promotions when pricing works."""
    from shop.catalog import CatalogService

    return CatalogService(sessions(), promotion_price=_promotion_hook())


@once
def recommender() -> Recommender:
    """The recommender over the FAISS index, loaded once.

    Raises :class:`shop.recommend.RecommenderUnavailable` (the index's ``CatalogIndexError``)
    while the index is missing or was built from another catalog; nothing is cached then,
    so a rebuilt index is picked up.
    """
    from catalog_index import load_index
    from shop.recommend import Recommender

    factory = sessions()
    index = load_index(session_factory=factory)
    # Load the encoder here, under once's lock: transformers' lazy imports are not
    # thread-safe, and a shopper's first search then waits for the warm-up instead.
    index.encode("warm up")
    return Recommender(index, factory)


_warming = threading.Event()


def catalog_warming() -> bool:
    """Whether this process is still loading the catalog index and encoder (``/health`` says 503)."""
    return _warming.is_set()


def warm_up_catalog() -> None:
    """Load the index and the query encoder before the first shopper asks (first load ~10 s)."""
    try:
        recommender()
        catalog().find_products("warm up")
    except Exception as exc:  # reported again, politely, when a shopper asks
        logging.getLogger(__name__).warning("catalog warm-up failed: %s", exc)


def start_catalog_warm_up(target: Callable[[], None] = warm_up_catalog) -> threading.Thread:
    """Warm up in a thread; until it ends :func:`catalog_warming` is true, so the server reports
    itself not ready rather than take calls that would wait behind the load (under a busy CPU
    the first form validation after a restart outlasted the action timeout)."""
    _warming.set()

    def run() -> None:
        try:
            target()
        finally:
            _warming.clear()

    thread = threading.Thread(target=run, name="catalog-warm-up", daemon=True)
    thread.start()
    return thread
