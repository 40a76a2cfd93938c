"""Repository and service around the pricing tables: offers, carts, redemption.

One session per unit of work (``with self._sessions.begin() as s``). The engine stays
pure; this module only turns rows into the engine's dataclasses and back, and owns the
one place where money is committed: :meth:`PricingService.redeem`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Iterable, Optional, Sequence

from sqlalchemy import and_, func, not_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from shop.db.models import Category, Order, OrderItem, Product, ProductVariant
from shop.db.pricing_models import Cart, CartLineRow, CouponRedemption, CouponRow, PromotionRow
from shop.pricing.codes import normalize_code
from shop.pricing.engine import naive_utc, quote
from shop.pricing.model import (
    CartLine,
    CartView,
    Coupon,
    CustomerView,
    Offers,
    PricingSettings,
    Promotion,
    Quote,
    Rejection,
)
from shop.pricing.money import money
from shop.pricing.offers import OfferDesk, OfferSettings, OfferView, last_counting_order
from shop.pricing.rejections import Reason, reject
from shop.pricing.rows import coupon_from_row, promotion_from_row
from shop.pricing.settings import settings_from_env

log = logging.getLogger(__name__)

MAX_LINE_QUANTITY = 100
#: Orders in these states neither count as "previous orders" nor take coupons.
CLOSED_STATUSES = ("cancelled", "returned")


class PricingError(Exception):
    """Base class of the service's refusals."""


class InvalidQuantity(PricingError, ValueError):
    """A cart quantity that is not a whole number from 1 to ``MAX_LINE_QUANTITY``."""


class UnknownProduct(PricingError, LookupError):
    pass


class CartNotFound(PricingError, LookupError):
    pass


class OrderNotFound(PricingError, LookupError):
    pass


class OrderNotRedeemable(PricingError):
    """The order is closed, belongs to someone else, or already took other codes."""


@dataclass(frozen=True)
class RedemptionRecord:
    coupon_id: int
    code: str
    order_id: int
    customer_id: Optional[int]
    amount: Decimal
    currency: str
    redeemed_at: datetime
    released_at: Optional[datetime]
    terms: dict[str, Any]


@dataclass(frozen=True)
class RedeemResult:
    """``ok`` with the rows written (or found, on a retry), or the rejections and no writes."""

    ok: bool
    redemptions: tuple[RedemptionRecord, ...] = ()
    rejections: tuple[Rejection, ...] = ()
    quote: Optional[Quote] = None
    replayed: bool = False


class _Refused(Exception):
    def __init__(self, rejection: Rejection) -> None:
        super().__init__(rejection.reason)
        self.rejection = rejection


def _check_quantity(quantity: object) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidQuantity(f"quantity must be a whole number, got {quantity!r}")
    if quantity <= 0:
        raise InvalidQuantity(f"quantity must be at least 1, got {quantity}; remove the item instead")
    if quantity > MAX_LINE_QUANTITY:
        raise InvalidQuantity(f"quantity must be at most {MAX_LINE_QUANTITY}, got {quantity}")
    return quantity


def _record(row: CouponRedemption) -> RedemptionRecord:
    return RedemptionRecord(
        coupon_id=row.coupon_id,
        code=row.code,
        order_id=row.order_id,
        customer_id=row.customer_id,
        amount=row.amount,
        currency=row.currency,
        redeemed_at=row.redeemed_at,
        released_at=row.released_at,
        terms=dict(row.terms_json),
    )


class PricingService:
    """Carts, offers and redemption on one database (a ``sessionmaker``)."""

    def __init__(
        self,
        sessions: sessionmaker,
        settings: Optional[PricingSettings] = None,
        offer_settings: Optional[OfferSettings] = None,
    ) -> None:
        self._sessions = sessions
        self.settings = settings or settings_from_env()
        self.offer_desk = OfferDesk(sessions, offer_settings)

    # -- offers -------------------------------------------------------------------------

    def load_offers(self, s: Session, codes: Iterable[str] = ()) -> Offers:
        """Active promotions, and the coupons named by ``codes`` (whatever their state)."""
        promotions = tuple(
            promotion_from_row(r)
            for r in s.scalars(select(PromotionRow).where(PromotionRow.active).order_by(PromotionRow.id))
        )
        canon = sorted({c for c in (normalize_code(x) for x in codes) if c is not None})
        coupons: dict[str, Coupon] = {}
        if canon:
            for row in s.scalars(select(CouponRow).where(CouponRow.code.in_(canon))):
                coupons[row.code] = coupon_from_row(row)
        return Offers(promotions=promotions, coupons=coupons)

    def live_promotions(self, now: datetime) -> list[Promotion]:
        """Public promotions running at ``now``, highest priority first."""
        now = naive_utc(now)
        with self._sessions() as s:
            rows = s.scalars(select(PromotionRow).where(PromotionRow.active, PromotionRow.public)).all()
            promos = [promotion_from_row(r) for r in rows]
        return sorted((p for p in promos if p.live(now)), key=lambda p: (-p.priority, p.id))

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
                customer = self.customer_view(s, customer_id)
                last = last_counting_order(s, customer_id, CLOSED_STATUSES)
        return self.offer_desk.offers_for(customer, last, now)

    def customer_view(
        self, s: Session, customer_id: int, *, exclude_order_id: Optional[int] = None
    ) -> CustomerView:
        """Previous open orders, lifetime spend and unreleased coupon uses of a customer."""
        orders = select(func.count(Order.id), func.coalesce(func.sum(Order.total), 0)).where(
            Order.customer_id == customer_id, Order.status.not_in(CLOSED_STATUSES)
        )
        uses = (
            select(CouponRedemption.coupon_id, func.count(CouponRedemption.id))
            .where(CouponRedemption.customer_id == customer_id, CouponRedemption.released_at.is_(None))
            .group_by(CouponRedemption.coupon_id)
        )
        if exclude_order_id is not None:
            orders = orders.where(Order.id != exclude_order_id)
            uses = uses.where(CouponRedemption.order_id != exclude_order_id)
        count, spend = s.execute(orders).one()
        return CustomerView(
            id=customer_id,
            order_count=int(count),
            lifetime_spend=money(Decimal(str(spend)), "USD"),
            coupon_uses={int(cid): int(n) for cid, n in s.execute(uses)},
        )

    # -- carts --------------------------------------------------------------------------

    def get_or_create_cart(
        self,
        *,
        customer_id: Optional[int] = None,
        sender_id: Optional[str] = None,
        currency: str = "USD",
        now: Optional[datetime] = None,
    ) -> int:
        """The cart of a verified customer, else of a conversation; created on first use.

        A conversation's cart is handed to the customer when they verify, so what they put
        in it before signing in is kept.
        """
        if customer_id is None and not sender_id:
            raise ValueError("a cart needs a customer_id or a sender_id")
        stamp = naive_utc(now or datetime.utcnow())
        for attempt in range(2):
            try:
                with self._sessions.begin() as s:
                    cart = None
                    if customer_id is not None:
                        cart = s.scalars(select(Cart).where(Cart.customer_id == customer_id)).first()
                        if cart is None and sender_id:
                            cart = s.scalars(
                                select(Cart).where(Cart.sender_id == sender_id, Cart.customer_id.is_(None))
                            ).first()
                            if cart is not None:
                                # Handed over: the conversation's id no longer finds it (sign-out).
                                cart.customer_id = customer_id
                                cart.sender_id = None
                                cart.updated_at = stamp
                    else:
                        # Only an anonymous cart: a customer's cart never shows to a signed-out session.
                        cart = s.scalars(
                            select(Cart).where(Cart.sender_id == sender_id, Cart.customer_id.is_(None))
                        ).first()
                        if cart is None:
                            # A customer's cart still holding this id (handed over before the id was
                            # cleared on hand-over) lets go of it, so a fresh anonymous cart can use it.
                            for owned in s.scalars(select(Cart).where(Cart.sender_id == sender_id)):
                                owned.sender_id = None
                            s.flush()
                    if cart is None:
                        cart = Cart(
                            customer_id=customer_id,
                            sender_id=sender_id if customer_id is None else None,
                            currency=currency,
                            created_at=stamp,
                            updated_at=stamp,
                        )
                        s.add(cart)
                        s.flush()
                    return int(cart.id)
            except IntegrityError:
                if attempt:
                    raise  # pragma: no cover - a second collision is a real conflict
        raise AssertionError("unreachable")  # pragma: no cover

    def _cart(self, s: Session, cart_id: int) -> Cart:
        cart = s.get(Cart, cart_id)
        if cart is None:
            raise CartNotFound(f"no cart {cart_id}")
        return cart

    def _line(
        self, s: Session, cart_id: int, product_id: int, variant_id: Optional[int]
    ) -> Optional[CartLineRow]:
        cond = (
            CartLineRow.variant_id.is_(None) if variant_id is None else CartLineRow.variant_id == variant_id
        )
        return s.scalars(
            select(CartLineRow).where(
                CartLineRow.cart_id == cart_id, CartLineRow.product_id == product_id, cond
            )
        ).first()

    def _check_product(self, s: Session, product_id: int, variant_id: Optional[int]) -> None:
        if s.get(Product, product_id) is None:
            raise UnknownProduct(f"no product {product_id}")
        if variant_id is not None:
            variant = s.get(ProductVariant, variant_id)
            if variant is None or variant.product_id != product_id:
                raise UnknownProduct(f"product {product_id} has no variant {variant_id}")

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
        return self._put_line(cart_id, product_id, variant_id, _check_quantity(quantity), True, now)

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
        return self._put_line(cart_id, product_id, variant_id, _check_quantity(quantity), False, now)

    def _put_line(
        self,
        cart_id: int,
        product_id: int,
        variant_id: Optional[int],
        quantity: int,
        add: bool,
        now: Optional[datetime],
    ) -> CartView:
        """Create the line with ``quantity``, or add to / replace an existing line's quantity."""
        with self._sessions.begin() as s:
            cart = self._cart(s, cart_id)
            self._check_product(s, product_id, variant_id)
            line = self._line(s, cart_id, product_id, variant_id)
            if line is None:
                s.add(
                    CartLineRow(
                        cart_id=cart_id, product_id=product_id, variant_id=variant_id, quantity=quantity
                    )
                )
            else:
                line.quantity = _check_quantity(line.quantity + quantity) if add else quantity
            cart.updated_at = naive_utc(now or datetime.utcnow())
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
            cart = self._cart(s, cart_id)
            line = self._line(s, cart_id, product_id, variant_id)
            if line is not None:
                s.delete(line)
            cart.updated_at = naive_utc(now or datetime.utcnow())
        return self.cart_view(cart_id)

    def clear_cart(self, cart_id: int) -> None:
        with self._sessions.begin() as s:
            cart = self._cart(s, cart_id)
            cart.lines.clear()

    def cart_view(self, cart_id: int) -> CartView:
        """The cart at today's catalog prices."""
        with self._sessions() as s:
            return self.cart_view_in(s, cart_id)

    def cart_view_in(self, s: Session, cart_id: int) -> CartView:
        """:meth:`cart_view` inside the caller's session (checkout reads it in its transaction)."""
        cart = self._cart(s, cart_id)
        rows = s.execute(
            select(CartLineRow, Product, ProductVariant)
            .join(Product, Product.id == CartLineRow.product_id)
            .outerjoin(ProductVariant, ProductVariant.id == CartLineRow.variant_id)
            .where(CartLineRow.cart_id == cart_id)
            .order_by(CartLineRow.id)
        ).all()
        parents = self._category_parents(s)
        lines = tuple(
            _cart_line(product, variant, line.quantity, cart.currency, parents, line.variant_id)
            for line, product, variant in rows
        )
        return CartView(currency=cart.currency, lines=lines)

    @staticmethod
    def _category_parents(s: Session) -> dict[str, Optional[str]]:
        rows = s.execute(select(Category.id, Category.name, Category.parent_id)).all()
        names = {cid: name for cid, name, _ in rows}
        return {name: names.get(parent) if parent else None for _, name, parent in rows}

    def quote_cart(
        self,
        cart_id: int,
        codes: Sequence[str],
        customer_id: Optional[int],
        now: datetime,
    ) -> Quote:
        """Side-effect free: what the cart costs with ``codes`` for this customer now."""
        cart = self.cart_view(cart_id)
        with self._sessions() as s:
            offers = self.load_offers(s, codes)
            customer = self.customer_view(s, customer_id) if customer_id is not None else None
        return quote(cart, codes, customer, now, offers=offers, settings=self.settings)

    def items_view(self, items: Sequence[tuple[str, int]], currency: str = "USD") -> CartView:
        """A cart that is not stored: ``(sku, quantity)`` pairs at today's catalog prices.

        A SKU is a product's or a variant's (case-insensitive); the same SKU twice is one
        line. Unknown SKUs raise :class:`UnknownProduct`, bad quantities
        :class:`InvalidQuantity`.
        """
        wanted: dict[str, int] = {}
        for sku, qty in items:
            key = str(sku).strip().upper()
            wanted[key] = _check_quantity(wanted.get(key, 0) + _check_quantity(qty))
        if not wanted:
            return CartView(currency=currency)
        with self._sessions() as s:
            by_sku: dict[str, tuple[Product, Optional[ProductVariant]]] = {}
            for product in s.scalars(select(Product).where(func.upper(Product.sku).in_(list(wanted)))):
                by_sku[product.sku.upper()] = (product, None)
            for variant, product in s.execute(
                select(ProductVariant, Product)
                .join(Product, Product.id == ProductVariant.product_id)
                .where(func.upper(ProductVariant.sku).in_(list(wanted)))
            ):
                by_sku.setdefault(variant.sku.upper(), (product, variant))
            missing = sorted(set(wanted) - set(by_sku))
            if missing:
                raise UnknownProduct(f"no product with SKU {', '.join(missing)}")
            parents = self._category_parents(s)
            lines = tuple(
                _cart_line(
                    product, variant, qty, currency, parents, variant.id if variant is not None else None
                )
                for key, qty in wanted.items()
                for product, variant in [by_sku[key]]
            )
        return CartView(currency=currency, lines=lines)

    def quote_items(
        self,
        items: Sequence[tuple[str, int]],
        codes: Sequence[str],
        customer_id: Optional[int],
        now: datetime,
        currency: str = "USD",
    ) -> Quote:
        """Side-effect free: "how much would these cost with code X", without a cart.

        Same rules as :meth:`quote_cart` (promotions, codes, shipping, tax), on
        ``(sku, quantity)`` pairs; see :meth:`items_view` for the errors it raises.
        """
        cart = self.items_view(items, currency)
        with self._sessions() as s:
            offers = self.load_offers(s, codes)
            customer = self.customer_view(s, customer_id) if customer_id is not None else None
        return quote(cart, codes, customer, now, offers=offers, settings=self.settings)

    # -- redemption ---------------------------------------------------------------------

    def _order_cart(self, s: Session, order: Order) -> CartView:
        rows = s.execute(
            select(OrderItem, Product, ProductVariant)
            .join(Product, Product.id == OrderItem.product_id)
            .outerjoin(ProductVariant, ProductVariant.id == OrderItem.variant_id)
            .where(OrderItem.order_id == order.id)
            .order_by(OrderItem.id)
        ).all()
        parents = self._category_parents(s)
        currency = order.currency or "USD"
        return CartView(
            currency=currency,
            lines=tuple(
                CartLine(
                    product_id=product.id,
                    sku=variant.sku if variant is not None else product.sku,
                    name=product.name,
                    category=product.category,
                    unit_price=money(item.unit_price, currency),
                    quantity=item.quantity,
                    variant_id=item.variant_id,
                    ancestors=_ancestors(product.category, parents),
                )
                for item, product, variant in rows
            ),
        )

    def redemptions(self, order_id: int) -> list[RedemptionRecord]:
        with self._sessions() as s:
            rows = s.scalars(
                select(CouponRedemption)
                .where(CouponRedemption.order_id == order_id)
                .order_by(CouponRedemption.id)
            )
            return [_record(r) for r in rows]

    def redeem(
        self,
        order_id: int,
        codes: Sequence[str],
        customer_id: Optional[int],
        now: datetime,
    ) -> RedeemResult:
        """Record the use of ``codes`` by an order, all or nothing, in one transaction.

        The order's items are re-quoted at this moment. Each coupon's counter moves only
        through a conditional UPDATE (never past its limit, whoever races), the row lock
        it takes serialises per-customer checks, and unique keys make a retry for the same
        order return the existing redemption instead of a second one.
        """
        now = naive_utc(now)
        wanted = sorted({c for c in (normalize_code(x) for x in codes) if c is not None})
        try:
            with self._sessions.begin() as s:
                return self._redeem(s, order_id, codes, wanted, customer_id, now)
        except _Refused as refused:
            log.info("redemption refused", extra={"order_id": order_id, "reason": refused.rejection.reason})
            return RedeemResult(ok=False, rejections=(refused.rejection,))
        except IntegrityError:
            # A concurrent retry for this order won, or a per-customer race was lost.
            replay = self._replay(order_id, wanted)
            if replay is not None:
                return replay
            code = wanted[0] if wanted else ""
            return RedeemResult(
                ok=False, rejections=(reject(code, Reason.ALREADY_USED_BY_CUSTOMER, limit=1),)
            )

    def redeem_in(
        self,
        s: Session,
        order_id: int,
        codes: Sequence[str],
        customer_id: Optional[int],
        now: datetime,
    ) -> RedeemResult:
        """:meth:`redeem` inside the caller's transaction, so an order and its redemption commit
        together (``shop.checkout``).

        On ``ok=False`` the session may hold a half-taken use: the caller must roll the whole
        transaction back. An ``IntegrityError`` (a lost race) propagates for the same reason.
        """
        now = naive_utc(now)
        wanted = sorted({c for c in (normalize_code(x) for x in codes) if c is not None})
        try:
            return self._redeem(s, order_id, codes, wanted, customer_id, now)
        except _Refused as refused:
            log.info("redemption refused", extra={"order_id": order_id, "reason": refused.rejection.reason})
            return RedeemResult(ok=False, rejections=(refused.rejection,))

    def _replay(
        self, order_id: int, wanted: list[str], s: Optional[Session] = None
    ) -> Optional[RedeemResult]:
        """The result of an earlier redemption for this order with the same codes, if any."""
        if s is None:
            existing = self.redemptions(order_id)
        else:
            existing = [
                _record(r)
                for r in s.scalars(
                    select(CouponRedemption)
                    .where(CouponRedemption.order_id == order_id)
                    .order_by(CouponRedemption.id)
                )
            ]
        if not existing:
            return None
        if sorted(r.code for r in existing) != wanted:
            raise OrderNotRedeemable(
                f"order {order_id} already redeemed {', '.join(sorted(r.code for r in existing))}"
            )
        return RedeemResult(ok=True, redemptions=tuple(existing), replayed=True)

    def _redeem(
        self,
        s: Session,
        order_id: int,
        codes: Sequence[str],
        wanted: list[str],
        customer_id: Optional[int],
        now: datetime,
    ) -> RedeemResult:
        order = s.get(Order, order_id)
        if order is None:
            raise OrderNotFound(f"no order {order_id}")
        if order.status in CLOSED_STATUSES:
            raise OrderNotRedeemable(f"order {order_id} is {order.status}")
        if customer_id is not None and order.customer_id != customer_id:
            raise OrderNotRedeemable(f"order {order_id} belongs to another customer")
        replay = self._replay(order_id, wanted, s)
        if replay is not None:
            return replay
        cart = self._order_cart(s, order)
        customer = (
            self.customer_view(s, customer_id, exclude_order_id=order_id) if customer_id is not None else None
        )
        offers = self.load_offers(s, codes)
        q = quote(cart, codes, customer, now, offers=offers, settings=self.settings)
        if q.rejections:
            return RedeemResult(ok=False, rejections=q.rejections, quote=q)
        written: list[CouponRedemption] = []
        for applied in q.applied:
            c = applied.coupon
            self._take_use(s, c, cart.currency)
            if c.per_customer_limit is not None and customer_id is not None:
                used = s.scalar(
                    select(func.count(CouponRedemption.id)).where(
                        CouponRedemption.coupon_id == c.id,
                        CouponRedemption.customer_id == customer_id,
                        CouponRedemption.released_at.is_(None),
                    )
                )
                if (used or 0) >= c.per_customer_limit:
                    raise _Refused(
                        reject(
                            c.code,
                            Reason.ALREADY_USED_BY_CUSTOMER,
                            cart.currency,
                            limit=c.per_customer_limit,
                        )
                    )
            row = CouponRedemption(
                coupon_id=c.id,
                customer_id=customer_id,
                customer_slot=customer_id if c.per_customer_limit == 1 else None,
                order_id=order_id,
                code=c.code,
                amount=applied.amount,
                currency=cart.currency,
                redeemed_at=now,
                terms_json={
                    "terms": c.terms(),
                    "amount": str(applied.amount),
                    "currency": cart.currency,
                    "description": applied.description,
                    "quote": {
                        "subtotal": str(q.subtotal),
                        "discount_total": str(q.discount_total),
                        "shipping_total": str(q.shipping_total),
                        "tax": str(q.tax),
                        "total": str(q.total),
                    },
                },
            )
            s.add(row)
            written.append(row)
        s.flush()
        return RedeemResult(ok=True, redemptions=tuple(_record(r) for r in written), quote=q)

    @staticmethod
    def _take_use(s: Session, c: Coupon, currency: str) -> None:
        """Increment the counter only while under its limit; the loser of a race gets 0 rows."""
        result = s.execute(
            update(CouponRow)
            .where(
                CouponRow.id == c.id,
                CouponRow.active,
                or_(CouponRow.usage_limit.is_(None), CouponRow.usage_count < CouponRow.usage_limit),
                or_(not_(CouponRow.single_use), CouponRow.usage_count < 1),
            )
            .values(usage_count=CouponRow.usage_count + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise _Refused(reject(c.code, Reason.LIMIT_REACHED, currency, limit=c.effective_usage_limit))

    def release(self, order_id: int, now: datetime) -> int:
        """Give back the uses of a cancelled order; returns how many were released.

        Idempotent: released rows stay (with ``released_at``) as the order's history.
        """
        with self._sessions.begin() as s:
            return release_uses(s, order_id, now)

    # -- admin --------------------------------------------------------------------------

    def create_coupon(self, **fields: Any) -> int:
        """Insert a coupon (code normalised); a single-use code gets a usage limit of 1."""
        if fields.get("single_use"):
            fields["usage_limit"] = 1
        with self._sessions.begin() as s:
            row = CouponRow(**fields)
            s.add(row)
            s.flush()
            return int(row.id)

    def create_promotion(self, **fields: Any) -> int:
        with self._sessions.begin() as s:
            row = PromotionRow(**fields)
            s.add(row)
            s.flush()
            return int(row.id)


def release_uses(s: Session, order_id: int, now: datetime) -> int:
    """:meth:`PricingService.release` inside the caller's transaction (``OrderService.cancel``)."""
    now = naive_utc(now)
    rows = s.scalars(
        select(CouponRedemption)
        .where(CouponRedemption.order_id == order_id, CouponRedemption.released_at.is_(None))
        .with_for_update()
    ).all()
    for row in rows:
        row.released_at = now
        row.customer_slot = None
        s.execute(
            update(CouponRow)
            .where(and_(CouponRow.id == row.coupon_id, CouponRow.usage_count > 0))
            .values(usage_count=CouponRow.usage_count - 1)
            .execution_options(synchronize_session=False)
        )
    return len(rows)


def _cart_line(
    product: Product,
    variant: Optional[ProductVariant],
    quantity: int,
    currency: str,
    parents: dict[str, Optional[str]],
    variant_id: Optional[int],
) -> CartLine:
    """A priced cart line for a product (and the variant the shopper picked, if any)."""
    return CartLine(
        product_id=product.id,
        sku=variant.sku if variant is not None else product.sku,
        name=product.name,
        category=product.category,
        unit_price=money(product.price, currency),
        quantity=quantity,
        variant_id=variant_id,
        ancestors=_ancestors(product.category, parents),
    )


def _ancestors(category: str, parents: dict[str, Optional[str]]) -> tuple[str, ...]:
    out: list[str] = []
    current = parents.get(category)
    while current is not None and current not in out and len(out) < 10:
        out.append(current)
        current = parents.get(current)
    return tuple(out)


# Re-exported for callers that only import the service module.
__all__ = [
    "CartNotFound",
    "InvalidQuantity",
    "OrderNotFound",
    "OfferView",
    "OrderNotRedeemable",
    "PricingError",
    "PricingService",
    "RedeemResult",
    "RedemptionRecord",
    "UnknownProduct",
    "release_uses",
]
