"""Stored carts: who owns one, what is in it, and that cart at today's prices.

A verified customer has one cart; a conversation or a signed-out storefront session has
its own, handed to the customer when they verify. Every function here works inside the
caller's session; :class:`shop.pricing.service.PricingService` decides where a unit of
work begins and commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional, Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from shop.clock import naive_utc
from shop.db.models import Product, ProductVariant
from shop.db.pricing_models import Cart, CartLineRow
from shop.pricing.errors import CartNotFound, InvalidQuantity, UnknownProduct
from shop.pricing.model import CartView
from shop.pricing.rows import cart_line, category_parents

__all__ = [
    "MAX_LINE_QUANTITY",
    "cart_view_in",
    "check_quantity",
    "clear",
    "get_or_create_cart",
    "items_view",
    "put_line",
    "remove_line",
]

#: Most units of one item a cart line holds (a typo of 1000 is refused, not priced).
MAX_LINE_QUANTITY = 100


def check_quantity(quantity: object) -> int:
    """``quantity`` if it is a whole number from 1 to :data:`MAX_LINE_QUANTITY`."""
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidQuantity(f"quantity must be a whole number, got {quantity!r}")
    if quantity <= 0:
        raise InvalidQuantity(f"quantity must be at least 1, got {quantity}; remove the item instead")
    if quantity > MAX_LINE_QUANTITY:
        raise InvalidQuantity(f"quantity must be at most {MAX_LINE_QUANTITY}, got {quantity}")
    return quantity


def get_or_create_cart(
    sessions: sessionmaker,
    *,
    customer_id: Optional[int],
    sender_id: Optional[str],
    currency: str,
    now: datetime,
) -> int:
    """The cart of a verified customer, else of a conversation; created on first use.

    Its own transaction (retried once): two turns of one conversation creating the cart
    at once meet on a unique key, and the loser reads the winner's cart.
    """
    if customer_id is None and not sender_id:
        raise ValueError("a cart needs a customer_id or a sender_id")
    stamp = naive_utc(now)
    for attempt in range(2):
        try:
            with sessions.begin() as s:
                cart = _find_cart(s, customer_id, sender_id, stamp)
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


def _find_cart(
    s: Session, customer_id: Optional[int], sender_id: Optional[str], stamp: datetime
) -> Optional[Cart]:
    """The existing cart for this shopper, handing a conversation's cart to its customer."""
    anonymous = select(Cart).where(Cart.sender_id == sender_id, Cart.customer_id.is_(None))
    if customer_id is not None:
        cart = s.scalars(select(Cart).where(Cart.customer_id == customer_id)).first()
        if cart is None and sender_id:
            cart = s.scalars(anonymous).first()
            if cart is not None:
                # Handed over: the conversation's id no longer finds it (sign-out).
                cart.customer_id = customer_id
                cart.sender_id = None
                cart.updated_at = stamp
        return cart
    # Only an anonymous cart: a customer's cart never shows to a signed-out session.
    cart = s.scalars(anonymous).first()
    if cart is None:
        # A customer's cart still holding this id (handed over before the id was cleared
        # on hand-over) lets go of it, so a fresh anonymous cart can use it.
        for owned in s.scalars(select(Cart).where(Cart.sender_id == sender_id)):
            owned.sender_id = None
        s.flush()
    return cart


def _cart(s: Session, cart_id: int) -> Cart:
    cart = s.get(Cart, cart_id)
    if cart is None:
        raise CartNotFound(f"no cart {cart_id}")
    return cart


def _line(s: Session, cart_id: int, product_id: int, variant_id: Optional[int]) -> Optional[CartLineRow]:
    same_variant = (
        CartLineRow.variant_id.is_(None) if variant_id is None else CartLineRow.variant_id == variant_id
    )
    return s.scalars(
        select(CartLineRow).where(
            CartLineRow.cart_id == cart_id, CartLineRow.product_id == product_id, same_variant
        )
    ).first()


def _check_product(s: Session, product_id: int, variant_id: Optional[int]) -> None:
    if s.get(Product, product_id) is None:
        raise UnknownProduct(f"no product {product_id}")
    if variant_id is not None:
        variant = s.get(ProductVariant, variant_id)
        if variant is None or variant.product_id != product_id:
            raise UnknownProduct(f"product {product_id} has no variant {variant_id}")


def put_line(
    s: Session,
    cart_id: int,
    product_id: int,
    variant_id: Optional[int],
    quantity: object,
    *,
    add: bool,
    now: datetime,
) -> None:
    """Create the line with ``quantity``, or add to (``add``) / replace an existing line's."""
    wanted = check_quantity(quantity)
    cart = _cart(s, cart_id)
    _check_product(s, product_id, variant_id)
    line = _line(s, cart_id, product_id, variant_id)
    if line is None:
        s.add(CartLineRow(cart_id=cart_id, product_id=product_id, variant_id=variant_id, quantity=wanted))
    else:
        line.quantity = check_quantity(line.quantity + wanted) if add else wanted
    cart.updated_at = naive_utc(now)


def remove_line(s: Session, cart_id: int, product_id: int, variant_id: Optional[int], now: datetime) -> None:
    """Remove a line; removing what is not there is not an error."""
    cart = _cart(s, cart_id)
    line = _line(s, cart_id, product_id, variant_id)
    if line is not None:
        s.delete(line)
    cart.updated_at = naive_utc(now)


def clear(s: Session, cart_id: int) -> None:
    """Empty the cart (checkout does this when the order is placed)."""
    cart = _cart(s, cart_id)  # held: the session only keeps a weak reference to it
    cart.lines.clear()


def cart_view_in(s: Session, cart_id: int) -> CartView:
    """The stored cart at today's catalog prices."""
    cart = _cart(s, cart_id)
    rows = s.execute(
        select(CartLineRow, Product, ProductVariant)
        .join(Product, Product.id == CartLineRow.product_id)
        .outerjoin(ProductVariant, ProductVariant.id == CartLineRow.variant_id)
        .where(CartLineRow.cart_id == cart_id)
        .order_by(CartLineRow.id)
    ).all()
    parents = category_parents(s)
    lines = tuple(
        cart_line(product, variant, line.quantity, cart.currency, parents) for line, product, variant in rows
    )
    return CartView(currency=cart.currency, lines=lines)


def items_view(s: Session, items: Sequence[tuple[str, int]], currency: str) -> CartView:
    """A cart that is not stored: ``(sku, quantity)`` pairs at today's catalog prices.

    A SKU is a product's or a variant's (case-insensitive); the same SKU twice is one
    line. Unknown SKUs raise :class:`UnknownProduct`, bad quantities
    :class:`InvalidQuantity`.
    """
    wanted: dict[str, int] = {}
    for sku, qty in items:
        key = str(sku).strip().upper()
        wanted[key] = check_quantity(wanted.get(key, 0) + check_quantity(qty))
    if not wanted:
        return CartView(currency=currency)
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
    parents = category_parents(s)
    lines = tuple(
        cart_line(product, variant, qty, currency, parents)
        for key, qty in wanted.items()
        for product, variant in [by_sku[key]]
    )
    return CartView(currency=currency, lines=lines)
