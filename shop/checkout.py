"""Placing an order from a cart: re-quote, redeem, write the order, all in one transaction.

Plain Python (no Rasa, no aiohttp), used by the storefront. :meth:`CheckoutService.place_order`
opens one transaction that

1. locks the shopper's cart row (two submits for one cart queue up behind each other),
2. returns the first order if the idempotency key was seen before (``created=False``),
3. re-quotes the cart with the pricing engine at this moment; any code that became invalid
   since the page was shown refuses the checkout with the engine's reason and sentence,
4. inserts ``orders``, ``order_items`` and an ``order_status_changes`` row (``pending``),
5. decrements stock with conditional UPDATEs (never below zero),
6. records the coupon uses through :meth:`PricingService.redeem_in` - the same counter
   UPDATE and redemption rows as :meth:`PricingService.redeem`, but in *this* session, so
   the order and its redemption commit or roll back together,
7. sets the order's ``discount_total``/``total`` from the redemption's quote, empties the
   cart and stores the idempotency key (unique) with the order.

Any refusal raises before commit, so nothing is written. A lost race on the key's unique
index is answered with the winner's order.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Optional, Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from shop.db.checkout_models import CheckoutRequest
from shop.db.models import Order, OrderItem, OrderStatusChange, Product, ProductVariant
from shop.db.pricing_models import Cart, CartLineRow, CouponRedemption
from shop.money import quantize
from shop.pricing.codes import normalize_code
from shop.pricing.engine import naive_utc, quote
from shop.pricing.model import Quote, Rejection
from shop.pricing.service import PricingService

log = logging.getLogger(__name__)

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_CODES = 5
#: Longest value of each shipping address field (the checkout form's ``maxlength``).
ADDRESS_LIMITS = {"name": 200, "street": 200, "city": 100, "postcode": 20, "country": 2}
ACTOR = "storefront"


class CheckoutError(Exception):
    """Base of the checkout's refusals; ``str(e)`` is a sentence for the shopper."""


class SignInRequired(CheckoutError):
    """Only a signed-in customer places orders (an anonymous cart is never a customer's)."""

    def __init__(self) -> None:
        super().__init__("Please sign in to place an order.")


class EmptyCart(CheckoutError):
    """Nothing to order: the cart has no lines (or was emptied by an earlier submit)."""

    def __init__(self) -> None:
        super().__init__("Your cart is empty.")


class InvalidCheckout(CheckoutError, ValueError):
    """A malformed request: idempotency key, address, too many codes, another's cart."""


class CodeRefused(CheckoutError):
    """A code is not valid at the moment of ordering; ``rejections`` say why (engine's words)."""

    def __init__(self, rejections: Sequence[Rejection]) -> None:
        self.rejections = tuple(rejections)
        super().__init__(" ".join(r.message for r in self.rejections) or "A code could not be applied.")


class OutOfStock(CheckoutError):
    """A line wants more than is left; the whole order is refused, nothing is taken."""

    def __init__(self, name: str, sku: str) -> None:
        self.sku = sku
        super().__init__(f"Sorry, {name} ({sku}) is no longer in stock in that quantity.")


class KeyConflict(CheckoutError):
    """The idempotency key belongs to another customer's order."""

    def __init__(self) -> None:
        super().__init__("This checkout page has expired; please reload it and try again.")


@dataclass(frozen=True)
class ShippingAddress:
    """Where the order goes, as the form sent it; :meth:`cleaned` is what is stored."""

    name: str
    street: str
    city: str
    postcode: str
    country: str = "US"

    def cleaned(self) -> ShippingAddress:
        """Trimmed and length-checked; ``InvalidCheckout`` names the first bad field."""
        out: dict[str, str] = {}
        for field, limit in ADDRESS_LIMITS.items():
            if field == "country":
                continue
            text = " ".join(str(getattr(self, field) or "").split())
            if not text:
                raise InvalidCheckout(f"Please fill in the {field} of the shipping address.")
            if len(text) > limit:
                raise InvalidCheckout(f"The {field} of the shipping address is too long.")
            out[field] = text
        country = str(self.country or "").strip().upper()
        if not re.fullmatch(r"[A-Z]{2}", country):
            raise InvalidCheckout("Please give the country as a two-letter code, such as US.")
        return ShippingAddress(country=country, **out)


@dataclass(frozen=True)
class PlacedOrder:
    """What the confirmation page shows of a placed (or replayed) order."""

    order_number: str
    order_id: int
    currency: str
    total: Decimal
    discount_total: Decimal
    #: Explained discounts, e.g. ``"SAVE10: -$5.00, 10% off orders of $50 or more"``.
    discount_lines: tuple[str, ...]
    codes: tuple[str, ...]
    #: False when the idempotency key was seen before and this is the first order, replayed.
    created: bool


class CheckoutService:
    """Places orders from stored carts on one database (a ``sessionmaker``)."""

    def __init__(self, sessions: sessionmaker, pricing: Optional[PricingService] = None) -> None:
        self._sessions = sessions
        self.pricing = pricing or PricingService(sessions)

    @staticmethod
    def new_key() -> str:
        """A fresh idempotency key, one per rendered checkout page."""
        return secrets.token_urlsafe(18)

    def preview(self, customer_id: Optional[int], codes: Sequence[str], now: datetime) -> Quote:
        """Side-effect free quote of the customer's cart (the checkout page's summary)."""
        if customer_id is None:
            raise SignInRequired()
        cart_id = self.pricing.get_or_create_cart(customer_id=customer_id, now=now)
        return self.pricing.quote_cart(cart_id, _codes(codes), customer_id, now)

    def last_address(self, customer_id: int) -> Optional[ShippingAddress]:
        """Where the customer's latest order went, to prefill the form."""
        with self._sessions() as s:
            order = s.scalars(
                select(Order)
                .where(Order.customer_id == customer_id)
                .order_by(Order.created_at.desc(), Order.id.desc())
                .limit(1)
            ).first()
            if order is None:
                return None
            return ShippingAddress(
                order.shipping_name,
                order.shipping_street,
                order.shipping_city,
                order.shipping_postcode,
                order.shipping_country,
            )

    def find(self, idempotency_key: str, customer_id: int) -> Optional[PlacedOrder]:
        """The order placed with this key, if any (``created=False``)."""
        with self._sessions() as s:
            return self._replay(s, idempotency_key, customer_id)

    def place_order(
        self,
        *,
        customer_id: Optional[int],
        codes: Sequence[str],
        idempotency_key: str,
        address: ShippingAddress,
        now: datetime,
        cart_id: Optional[int] = None,
    ) -> PlacedOrder:
        """Turn the customer's cart (or ``cart_id``, which must be theirs) into an order.

        Raises a :class:`CheckoutError` with a sentence for the shopper, having written
        nothing; the same ``idempotency_key`` again returns the first order, writing nothing.
        """
        if customer_id is None:
            raise SignInRequired()
        if not isinstance(idempotency_key, str) or not KEY_PATTERN.match(idempotency_key):
            raise InvalidCheckout("This checkout page is incomplete; please reload it and try again.")
        wanted = _codes(codes)
        address = address.cleaned()
        now = naive_utc(now)
        if cart_id is None:
            cart_id = self.pricing.get_or_create_cart(customer_id=customer_id, now=now)
        for attempt in range(3):
            try:
                with self._sessions.begin() as s:
                    return self._place(s, customer_id, cart_id, wanted, idempotency_key, address, now)
            except IntegrityError:
                # The same key committed by a concurrent submit, or an order number collision.
                found = self.find(idempotency_key, customer_id)
                if found is not None:
                    return found
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    # -- the transaction --------------------------------------------------------------------

    def _place(
        self,
        s: Session,
        customer_id: int,
        cart_id: int,
        codes: list[str],
        key: str,
        address: ShippingAddress,
        now: datetime,
    ) -> PlacedOrder:
        cart = s.get(Cart, cart_id, with_for_update=True)
        if cart is None or cart.customer_id != customer_id:
            raise InvalidCheckout("That cart is not yours.")
        replay = self._replay(s, key, customer_id)
        if replay is not None:
            return replay
        view = self.pricing.cart_view_in(s, cart_id)
        if not view.lines:
            raise EmptyCart()
        customer = self.pricing.customer_view(s, customer_id)
        offers = self.pricing.load_offers(s, codes)
        q = quote(view, codes, customer, now, offers=offers, settings=self.pricing.settings)
        if q.rejections:
            raise CodeRefused(q.rejections)

        order = Order(
            order_number=_new_order_number(s),
            customer_id=customer_id,
            status="pending",
            created_at=now,
            updated_at=now,
            currency=q.currency,
            subtotal=q.subtotal,
            shipping_cost=q.shipping,
            discount_total=q.discount_total,
            total=q.total,
            payment_method="card",
            shipping_name=address.name,
            shipping_street=address.street,
            shipping_city=address.city,
            shipping_postcode=address.postcode,
            shipping_country=address.country,
        )
        s.add(order)
        s.flush()
        for line in view.lines:
            s.add(
                OrderItem(
                    order_id=order.id,
                    product_id=line.product_id,
                    variant_id=line.variant_id,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                )
            )
            _take_stock(s, line.product_id, line.variant_id, line.quantity, line.name, line.sku)
        s.add(
            OrderStatusChange(
                order_id=order.id,
                from_status=None,
                to_status="pending",
                changed_at=now,
                actor=ACTOR,
                note="Placed at checkout",
            )
        )
        s.flush()

        if q.applied:
            redeemed = self.pricing.redeem_in(s, order.id, codes, customer_id, now)
            if not redeemed.ok:
                raise CodeRefused(redeemed.rejections)
            if redeemed.quote is not None:
                q = redeemed.quote  # the quote the redemption was recorded against
                order.discount_total = q.discount_total
                order.total = q.total

        lines = tuple(q.explain())
        s.execute(delete(CartLineRow).where(CartLineRow.cart_id == cart_id))
        cart.updated_at = now
        s.add(
            CheckoutRequest(
                idempotency_key=key,
                customer_id=customer_id,
                order_id=order.id,
                discount_lines=list(lines),
                created_at=now,
            )
        )
        s.flush()
        log.info(
            "order placed",
            extra={"order_id": order.id, "codes": list(q.applied_codes), "lines": len(view.lines)},
        )
        return PlacedOrder(
            order_number=order.order_number,
            order_id=int(order.id),
            currency=q.currency,
            total=quantize(q.total, q.currency),
            discount_total=quantize(q.discount_total, q.currency),
            discount_lines=lines,
            codes=q.applied_codes,
            created=True,
        )

    @staticmethod
    def _replay(s: Session, key: str, customer_id: int) -> Optional[PlacedOrder]:
        row = s.scalars(select(CheckoutRequest).where(CheckoutRequest.idempotency_key == key)).first()
        if row is None:
            return None
        if row.customer_id != customer_id:
            raise KeyConflict()
        order = s.get(Order, row.order_id)
        assert order is not None  # FK
        codes = tuple(
            s.scalars(
                select(CouponRedemption.code)
                .where(CouponRedemption.order_id == order.id)
                .order_by(CouponRedemption.id)
            )
        )
        currency = order.currency or "USD"
        return PlacedOrder(
            order_number=order.order_number,
            order_id=int(order.id),
            currency=currency,
            total=quantize(Decimal(str(order.total)), currency),
            discount_total=quantize(Decimal(str(order.discount_total)), currency),
            discount_lines=tuple(str(x) for x in row.discount_lines),
            codes=codes,
            created=False,
        )


def _codes(codes: Sequence[str]) -> list[str]:
    """Codes as typed, blanks dropped, duplicates (after normalising) once; at most MAX_CODES."""
    seen: dict[str, str] = {}
    for raw in codes:
        text = str(raw or "").strip()
        if not text:
            continue
        seen.setdefault(normalize_code(text) or text[:40], text[:40])
    if len(seen) > MAX_CODES:
        raise InvalidCheckout(f"At most {MAX_CODES} codes per order, please.")
    return list(seen.values())


def _new_order_number(s: Session) -> str:
    """A free six-digit order number (a race on the unique index retries the checkout)."""
    for _ in range(20):
        number = str(secrets.randbelow(900000) + 100000)
        if s.scalar(select(Order.id).where(Order.order_number == number)) is None:
            return number
    raise RuntimeError("could not allocate a free order number")


def _take_stock(
    s: Session, product_id: int, variant_id: Optional[int], quantity: int, name: str, sku: str
) -> None:
    """Take stock while enough is left: the chosen variant's (the product total follows) or the product's."""
    if variant_id is not None and not _decrement(s, ProductVariant, variant_id, quantity):
        raise OutOfStock(name, sku)
    if not _decrement(s, Product, product_id, quantity) and variant_id is None:
        raise OutOfStock(name, sku)


def _decrement(s: Session, table: type[Product] | type[ProductVariant], row_id: int, quantity: int) -> bool:
    """``stock -= quantity`` on one row if it has that many; True when the row was updated."""
    done = s.execute(
        update(table)
        .where(table.id == row_id, table.stock >= quantity)
        .values(stock=table.stock - quantity)
        .execution_options(synchronize_session=False)
    )
    return bool(done.rowcount == 1)
