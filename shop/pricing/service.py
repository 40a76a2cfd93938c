"""The pricing service: one object the storefront, the chat and checkout call.

:class:`PricingService` is a facade. It owns the database (a ``sessionmaker``) and decides
where each unit of work begins and commits; the work itself lives in one module per job:

- :mod:`shop.pricing.carts` - stored carts, their lines, a cart at today's prices;
- :mod:`shop.pricing.quoting` - loading offers and the customer, then the pure engine;
- :mod:`shop.pricing.redemption` - committing and releasing coupon uses;
- :mod:`shop.pricing.offers` - the deals a shopper can have (``ask_discounts``);
- :mod:`shop.pricing.admin` - creating coupons and promotions;
- :mod:`shop.pricing.rows` / :mod:`shop.pricing.customers` - rows and customers as the
  engine sees them.

Names callers import from here (the errors, ``MAX_LINE_QUANTITY``, ``release_uses``, the
redemption records) are re-exported so that ``from shop.pricing.service import ...`` keeps
working.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Optional, Sequence

from sqlalchemy.orm import Session, sessionmaker

from shop.clock import naive_utc
from shop.money import DEFAULT_CURRENCY
from shop.pricing import admin, carts, quoting, redemption
from shop.pricing.carts import MAX_LINE_QUANTITY
from shop.pricing.customers import CLOSED_STATUSES, customer_view, last_counting_order
from shop.pricing.errors import (
    CartNotFound,
    InvalidQuantity,
    OrderNotFound,
    OrderNotRedeemable,
    PricingError,
    UnknownProduct,
)
from shop.pricing.model import CartView, CustomerView, Offers, PricingSettings, Promotion, Quote
from shop.pricing.offers import OfferDesk, OfferSettings, OfferView
from shop.pricing.redemption import RedeemResult, RedemptionRecord, release_uses
from shop.pricing.settings import settings_from_env

__all__ = [
    "CLOSED_STATUSES",
    "CartNotFound",
    "InvalidQuantity",
    "MAX_LINE_QUANTITY",
    "OfferView",
    "OrderNotFound",
    "OrderNotRedeemable",
    "PricingError",
    "PricingService",
    "RedeemResult",
    "RedemptionRecord",
    "UnknownProduct",
    "release_uses",
]


def _now(now: Optional[datetime]) -> datetime:
    return naive_utc(now) if now is not None else naive_utc(datetime.utcnow())


class PricingService:
    """Carts, quotes, offers and redemption on one database (a ``sessionmaker``)."""

    def __init__(
        self,
        sessions: sessionmaker,
        settings: Optional[PricingSettings] = None,
        offer_settings: Optional[OfferSettings] = None,
    ) -> None:
        self._sessions = sessions
        self.settings = settings or settings_from_env()
        self.offer_desk = OfferDesk(sessions, offer_settings)

    # -- offers and customers -----------------------------------------------------------

    def load_offers(self, s: Session, codes: Iterable[str] = ()) -> Offers:
        """Active promotions, and the coupons named by ``codes`` (whatever their state)."""
        return quoting.load_offers(s, codes)

    def live_promotions(self, now: datetime) -> list[Promotion]:
        """Public promotions running at ``now``, highest priority first."""
        with self._sessions() as s:
            return quoting.live_promotions(s, now)

    def offers_for(self, customer_id: Optional[int], now: datetime) -> list[OfferView]:
        """The deals this shopper can have now, for ``ask_discounts``.

        Public live promotions and public coupons for everyone; for a verified customer also
        the personal offers they qualify for (welcome, win-back, loyalty), issued on the
        first ask and the same code on every later one. See :mod:`shop.pricing.offers`.
        """
        customer = None
        last = None
        if customer_id is not None:
            with self._sessions() as s:
                customer = customer_view(s, customer_id)
                last = last_counting_order(s, customer_id)
        return self.offer_desk.offers_for(customer, last, now)

    def customer_view(
        self, s: Session, customer_id: int, *, exclude_order_id: Optional[int] = None
    ) -> CustomerView:
        """Previous counting orders, lifetime spend and unreleased coupon uses of a customer."""
        return customer_view(s, customer_id, exclude_order_id=exclude_order_id)

    # -- carts --------------------------------------------------------------------------

    def get_or_create_cart(
        self,
        *,
        customer_id: Optional[int] = None,
        sender_id: Optional[str] = None,
        currency: str = DEFAULT_CURRENCY,
        now: Optional[datetime] = None,
    ) -> int:
        """The cart of a verified customer, else of a conversation; created on first use.

        A conversation's cart is handed to the customer when they verify, so what they put
        in it before signing in is kept.
        """
        return carts.get_or_create_cart(
            self._sessions, customer_id=customer_id, sender_id=sender_id, currency=currency, now=_now(now)
        )

    def add_item(
        self,
        cart_id: int,
        product_id: int,
        quantity: int = 1,
        *,
        variant_id: Optional[int] = None,
        now: Optional[datetime] = None,
    ) -> CartView:
        """Add ``quantity`` units (added to a line already there)."""
        with self._sessions.begin() as s:
            carts.put_line(s, cart_id, product_id, variant_id, quantity, add=True, now=_now(now))
        return self.cart_view(cart_id)

    def set_quantity(
        self,
        cart_id: int,
        product_id: int,
        quantity: int,
        *,
        variant_id: Optional[int] = None,
        now: Optional[datetime] = None,
    ) -> CartView:
        """Set a line's quantity (creating it); 0 or less is refused: use :meth:`remove_item`."""
        with self._sessions.begin() as s:
            carts.put_line(s, cart_id, product_id, variant_id, quantity, add=False, now=_now(now))
        return self.cart_view(cart_id)

    def remove_item(
        self,
        cart_id: int,
        product_id: int,
        *,
        variant_id: Optional[int] = None,
        now: Optional[datetime] = None,
    ) -> CartView:
        """Remove a line; removing what is not there is not an error."""
        with self._sessions.begin() as s:
            carts.remove_line(s, cart_id, product_id, variant_id, _now(now))
        return self.cart_view(cart_id)

    def clear_cart(self, cart_id: int) -> None:
        """Empty the cart."""
        with self._sessions.begin() as s:
            carts.clear(s, cart_id)

    def cart_view(self, cart_id: int) -> CartView:
        """The cart at today's catalog prices."""
        with self._sessions() as s:
            return carts.cart_view_in(s, cart_id)

    def cart_view_in(self, s: Session, cart_id: int) -> CartView:
        """:meth:`cart_view` inside the caller's session (checkout reads it in its transaction)."""
        return carts.cart_view_in(s, cart_id)

    def items_view(self, items: Sequence[tuple[str, int]], currency: str = DEFAULT_CURRENCY) -> CartView:
        """A cart that is not stored: ``(sku, quantity)`` pairs at today's catalog prices.

        Unknown SKUs raise :class:`UnknownProduct`, bad quantities :class:`InvalidQuantity`.
        """
        with self._sessions() as s:
            return carts.items_view(s, items, currency)

    # -- quotes -------------------------------------------------------------------------

    def quote_cart(
        self, cart_id: int, codes: Sequence[str], customer_id: Optional[int], now: datetime
    ) -> Quote:
        """Side-effect free: what the cart costs with ``codes`` for this customer now."""
        with self._sessions() as s:
            cart = carts.cart_view_in(s, cart_id)
            return quoting.quote_in(s, cart, codes, customer_id, now, self.settings)

    def quote_items(
        self,
        items: Sequence[tuple[str, int]],
        codes: Sequence[str],
        customer_id: Optional[int],
        now: datetime,
        currency: str = DEFAULT_CURRENCY,
    ) -> Quote:
        """Side-effect free: "how much would these cost with code X", without a cart.

        Same rules as :meth:`quote_cart` (promotions, codes, shipping, tax), on
        ``(sku, quantity)`` pairs; see :meth:`items_view` for the errors it raises.
        """
        with self._sessions() as s:
            cart = carts.items_view(s, items, currency)
            return quoting.quote_in(s, cart, codes, customer_id, now, self.settings)

    # -- redemption ---------------------------------------------------------------------

    def redemptions(self, order_id: int) -> list[RedemptionRecord]:
        """Every use (released or not) an order made, oldest first."""
        with self._sessions() as s:
            return redemption.redemptions_in(s, order_id)

    def redeem(
        self, order_id: int, codes: Sequence[str], customer_id: Optional[int], now: datetime
    ) -> RedeemResult:
        """Record the use of ``codes`` by an order, all or nothing, in one transaction.

        The order's items are re-quoted at this moment; a retry for the same order returns
        the existing redemption (see :mod:`shop.pricing.redemption`).
        """
        return redemption.redeem(self._sessions, order_id, codes, customer_id, now, self.settings)

    def redeem_in(
        self, s: Session, order_id: int, codes: Sequence[str], customer_id: Optional[int], now: datetime
    ) -> RedeemResult:
        """:meth:`redeem` inside the caller's transaction, so an order and its redemption commit
        together (``shop.checkout``).

        On ``ok=False`` the session may hold a half-taken use: the caller must roll the whole
        transaction back. An ``IntegrityError`` (a lost race) propagates for the same reason.
        """
        return redemption.redeem_in(s, order_id, codes, customer_id, now, self.settings)

    def release(self, order_id: int, now: datetime) -> int:
        """Give back the uses of a cancelled order; returns how many were released.

        Idempotent: released rows stay (with ``released_at``) as the order's history.
        """
        with self._sessions.begin() as s:
            return release_uses(s, order_id, now)

    # -- admin --------------------------------------------------------------------------

    def create_coupon(self, **fields: Any) -> int:
        """Insert a coupon (code normalised); a single-use code gets a usage limit of 1."""
        with self._sessions.begin() as s:
            return admin.create_coupon(s, **fields)

    def create_promotion(self, **fields: Any) -> int:
        """Insert an automatic promotion; see ``shop/pricing/RULES.md`` for the kinds."""
        with self._sessions.begin() as s:
            return admin.create_promotion(s, **fields)
