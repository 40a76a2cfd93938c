"""Tables for carts, promotions, coupons and their redemptions (issue 4).

On the same ``Base`` as :mod:`shop.db.models`; created by migration ``0002_pricing``;
``0003_coupon_attempts`` adds the code-attempt log and personal/public coupon columns.
Money is ``Numeric(12, 2)``; percentages are ``Numeric(5, 2)``. Scope lists (product ids,
categories) are JSON arrays.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship, validates

from shop.db.models import MONEY, Base

PROMOTION_KINDS = ("percentage", "buy_x_get_y", "fixed", "spend_threshold", "free_shipping")
COUPON_KINDS = ("percentage", "fixed", "free_shipping")


class Cart(Base):
    """One cart per verified customer, or per conversation (``sender_id``) before that."""

    __tablename__ = "carts"

    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, ForeignKey("customers.id"), unique=True)
    sender_id = Column(String(255), unique=True)
    currency = Column(String(3), nullable=False, default="USD")
    created_at = Column(DateTime, nullable=False, default=datetime.utcnow)
    updated_at = Column(DateTime, nullable=False, default=datetime.utcnow)

    lines = relationship(
        "CartLineRow", back_populates="cart", order_by="CartLineRow.id", cascade="all, delete-orphan"
    )


class CartLineRow(Base):
    """One line of a shopper's cart (the storefront's and the chat's quotes read it)."""

    __tablename__ = "cart_lines"
    __table_args__ = (
        UniqueConstraint("cart_id", "product_id", "variant_id", name="uq_cart_lines_variant"),
        # NULLs are distinct in a unique constraint: one more index for lines without a variant.
        Index(
            "uq_cart_lines_no_variant",
            "cart_id",
            "product_id",
            unique=True,
            sqlite_where=Column("variant_id").is_(None),
            postgresql_where=Column("variant_id").is_(None),
        ),
        CheckConstraint("quantity > 0", name="ck_cart_lines_quantity_positive"),
    )

    id = Column(Integer, primary_key=True)
    cart_id = Column(Integer, ForeignKey("carts.id", ondelete="CASCADE"), nullable=False, index=True)
    product_id = Column(Integer, ForeignKey("products.id"), nullable=False)
    variant_id = Column(Integer, ForeignKey("product_variants.id"))
    quantity = Column(Integer, nullable=False)

    cart = relationship("Cart", back_populates="lines")


class PromotionRow(Base):
    """An automatic, code-less offer; see ``shop/pricing/RULES.md`` for how kinds apply."""

    __tablename__ = "promotions"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('percentage', 'buy_x_get_y', 'fixed', 'spend_threshold', 'free_shipping')",
            name="ck_promotions_kind",
        ),
    )

    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False)
    kind = Column(String(20), nullable=False)
    value = Column(Numeric(12, 2), nullable=False, default=0)
    categories = Column(JSON, nullable=False, default=list)
    product_ids = Column(JSON, nullable=False, default=list)
    buy_quantity = Column(Integer, nullable=False, default=0)
    get_quantity = Column(Integer, nullable=False, default=0)
    min_subtotal = Column(MONEY)
    starts_at = Column(DateTime)
    ends_at = Column(DateTime)
    active = Column(Boolean, nullable=False, default=True)
    priority = Column(Integer, nullable=False, default=0)
    public = Column(Boolean, nullable=False, default=True)


class CouponRow(Base):
    """A code a shopper types. ``code`` is stored canonical (upper-case, no spaces)."""

    __tablename__ = "coupons"
    __table_args__ = (
        CheckConstraint("kind IN ('percentage', 'fixed', 'free_shipping')", name="ck_coupons_kind"),
        CheckConstraint("usage_count >= 0", name="ck_coupons_usage_count"),
        CheckConstraint("code = upper(code)", name="ck_coupons_code_upper"),
        # One personal code per customer and offer ("win_back:<last order id>",
        # "loyalty:10:2024Q2"): two conversations asking at once still get the same code.
        Index("uq_coupons_customer_offer", "customer_id", "offer_key", unique=True),
    )

    id = Column(Integer, primary_key=True)
    code = Column(String(32), nullable=False, unique=True)
    kind = Column(String(20), nullable=False)
    value = Column(Numeric(12, 2), nullable=False, default=0)
    description = Column(String(200), nullable=False, default="")
    min_subtotal = Column(MONEY)
    min_quantity = Column(Integer)
    include_products = Column(JSON, nullable=False, default=list)
    include_categories = Column(JSON, nullable=False, default=list)
    exclude_products = Column(JSON, nullable=False, default=list)
    exclude_categories = Column(JSON, nullable=False, default=list)
    first_order_only = Column(Boolean, nullable=False, default=False)
    requires_customer = Column(Boolean, nullable=False, default=False)
    usage_limit = Column(Integer)
    usage_count = Column(Integer, nullable=False, default=0)
    per_customer_limit = Column(Integer)
    single_use = Column(Boolean, nullable=False, default=False)
    stackable = Column(Boolean, nullable=False, default=False)
    starts_at = Column(DateTime)
    expires_at = Column(DateTime)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False, default=datetime.utcnow)
    #: Listed to every shopper who asks for discounts (migration 0003).
    public = Column(Boolean, nullable=False, default=False)
    #: A personal code: only this customer may use it (migration 0003).
    customer_id = Column(Integer, ForeignKey("customers.id"))
    #: Which personal offer issued it, for idempotent issuing (migration 0003).
    offer_key = Column(String(40))

    @validates("code")
    def _canonical_code(self, _key: str, value: str) -> str:
        from shop.pricing.codes import normalize_code

        canon = normalize_code(value)
        if canon is None:
            raise ValueError(f"not a valid coupon code: {value!r}")
        return canon


class CouponRedemption(Base):
    """One use of a coupon by an order, with a copy of the terms applied then.

    ``customer_slot`` is the customer id while the use counts against a per-customer limit
    of one, else NULL; the unique index on it makes a second use by the same customer fail
    in the database even under a race. Releasing a use clears it.
    """

    __tablename__ = "coupon_redemptions"
    __table_args__ = (
        UniqueConstraint("coupon_id", "order_id", name="uq_coupon_redemptions_order"),
        UniqueConstraint("coupon_id", "customer_slot", name="uq_coupon_redemptions_customer"),
        Index("ix_coupon_redemptions_customer", "customer_id", "coupon_id"),
    )

    id = Column(Integer, primary_key=True)
    coupon_id = Column(Integer, ForeignKey("coupons.id"), nullable=False)
    customer_id = Column(Integer, ForeignKey("customers.id"))
    customer_slot = Column(Integer)
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False, index=True)
    code = Column(String(32), nullable=False)
    amount = Column(MONEY, nullable=False)
    currency = Column(String(3), nullable=False, default="USD")
    redeemed_at = Column(DateTime, nullable=False)
    released_at = Column(DateTime)
    terms_json = Column(JSON, nullable=False)


class CouponAttempt(Base):
    """One failed code check by a conversation, for :class:`shop.pricing.throttle.CodeAttemptThrottle`.

    Holds no code and no customer: only who tried (the conversation's sender id) and when.
    """

    __tablename__ = "coupon_attempts"
    __table_args__ = (Index("ix_coupon_attempts_sender_time", "sender_id", "attempted_at"),)

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False)
    attempted_at = Column(DateTime, nullable=False)
    reason = Column(String(40), nullable=False)
