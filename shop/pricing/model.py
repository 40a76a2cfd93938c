"""Plain, frozen data the engine reads and returns: no database, no Rasa.

The repository in :mod:`shop.pricing.service` builds these from the tables; tests build
them directly, which is what keeps :func:`shop.pricing.engine.quote` pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Callable, Mapping, Optional

from shop.money import format_money


class PromotionKind(str, Enum):
    """Automatic (code-less) offers."""

    PERCENTAGE = "percentage"  # % off matching lines (sitewide when unscoped)
    BUY_X_GET_Y = "buy_x_get_y"  # per line: of every buy+get units, `get` are free
    FIXED = "fixed"  # amount off the matching items, once per order
    SPEND_THRESHOLD = "spend_threshold"  # amount off once matching items reach min_subtotal
    FREE_SHIPPING = "free_shipping"  # shipping waived (from min_subtotal, if set)


class CouponKind(str, Enum):
    """What a code takes off: a percentage, an amount, or the shipping fee."""

    PERCENTAGE = "percentage"
    FIXED = "fixed"
    FREE_SHIPPING = "free_shipping"


@dataclass(frozen=True)
class CartLine:
    """One priced line the engine sees: a product (or variant) at a unit price, times a quantity."""

    product_id: int
    sku: str
    name: str
    category: str
    unit_price: Decimal
    quantity: int
    variant_id: Optional[int] = None
    #: Parent categories of ``category`` ("Outdoor" for "Tents"); scopes match any of them.
    ancestors: tuple[str, ...] = ()

    @property
    def categories(self) -> frozenset[str]:
        """The line's category and its parents, case-folded, for scope matching."""
        return frozenset(c.casefold() for c in (self.category, *self.ancestors))

    def __post_init__(self) -> None:
        if self.quantity <= 0:
            raise ValueError(f"quantity must be positive, got {self.quantity}")
        if self.unit_price < 0:
            raise ValueError("unit price must not be negative")


@dataclass(frozen=True)
class CartView:
    """A cart as the engine prices it, stored or not."""

    currency: str
    lines: tuple[CartLine, ...] = ()

    @property
    def quantity(self) -> int:
        """Units in the cart (``min_quantity`` counts these)."""
        return sum(line.quantity for line in self.lines)


@dataclass(frozen=True)
class CustomerView:
    """A verified customer as pricing sees them.

    ``coupon_uses`` counts this customer's unreleased redemptions per coupon id.
    """

    id: int
    order_count: int = 0
    lifetime_spend: Decimal = Decimal("0")
    coupon_uses: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Scope:
    """Which lines an offer touches; empty includes mean everything."""

    include_products: frozenset[int] = frozenset()
    include_categories: frozenset[str] = frozenset()
    exclude_products: frozenset[int] = frozenset()
    exclude_categories: frozenset[str] = frozenset()

    def matches(self, line: CartLine) -> bool:
        """Whether the offer touches ``line`` (excludes win over includes)."""
        cats = line.categories
        if line.product_id in self.exclude_products:
            return False
        if cats & {c.casefold() for c in self.exclude_categories}:
            return False
        if not self.include_products and not self.include_categories:
            return True
        return line.product_id in self.include_products or bool(
            cats & {c.casefold() for c in self.include_categories}
        )

    def describe(self) -> str:
        """``Outdoor``, ``Outdoor and Shoes``, ``selected items`` or ``everything``."""
        if self.include_products:
            return "selected items"
        if self.include_categories:
            cats = sorted(self.include_categories)
            return cats[0] if len(cats) == 1 else ", ".join(cats[:-1]) + " and " + cats[-1]
        if self.exclude_products or self.exclude_categories:
            return "eligible items"
        return "everything"


@dataclass(frozen=True)
class Promotion:
    """An automatic offer; see ``RULES.md`` for how each kind applies."""

    id: int
    name: str
    kind: PromotionKind
    value: Decimal = Decimal("0")  # percent for PERCENTAGE, amount for FIXED/SPEND_THRESHOLD
    scope: Scope = Scope()
    buy_quantity: int = 0
    get_quantity: int = 0
    min_subtotal: Optional[Decimal] = None
    starts_at: Optional[datetime] = None
    ends_at: Optional[datetime] = None
    active: bool = True
    priority: int = 0

    def live(self, now: datetime) -> bool:
        """Active and within its dates at ``now`` (naive UTC)."""
        if not self.active:
            return False
        if self.starts_at is not None and now < self.starts_at:
            return False
        return self.ends_at is None or now < self.ends_at


@dataclass(frozen=True)
class Coupon:
    """A code and its terms, as the engine checks them."""

    id: int
    code: str  # canonical: upper-case, see shop.pricing.codes
    kind: CouponKind
    value: Decimal = Decimal("0")  # percent for PERCENTAGE, amount for FIXED
    scope: Scope = Scope()
    min_subtotal: Optional[Decimal] = None
    min_quantity: Optional[int] = None
    first_order_only: bool = False
    requires_customer: bool = False
    usage_limit: Optional[int] = None
    usage_count: int = 0
    per_customer_limit: Optional[int] = None
    single_use: bool = False
    stackable: bool = False
    starts_at: Optional[datetime] = None
    expires_at: Optional[datetime] = None
    active: bool = True
    #: A personal code (win-back, loyalty): only this customer may use it; for anyone
    #: else it does not exist (``unknown_code``), and it needs a verified shopper.
    owner_id: Optional[int] = None
    #: Listed by ``ask_discounts`` to every shopper.
    public: bool = False

    @property
    def effective_usage_limit(self) -> Optional[int]:
        """A single-use code is a code with a global limit of one."""
        if self.single_use:
            return 1 if self.usage_limit is None else min(1, self.usage_limit)
        return self.usage_limit

    @property
    def needs_customer(self) -> bool:
        """Terms that only a verified shopper can meet (limits per customer, first order)."""
        return (
            self.requires_customer
            or self.first_order_only
            or self.per_customer_limit is not None
            or self.owner_id is not None
        )

    def terms(self) -> dict[str, Any]:
        """The terms as JSON-ready data: what a redemption keeps a copy of."""

        def dec(v: Optional[Decimal]) -> Optional[str]:
            return None if v is None else str(v)

        def dt(v: Optional[datetime]) -> Optional[str]:
            return None if v is None else v.isoformat()

        return {
            "coupon_id": self.id,
            "code": self.code,
            "kind": self.kind.value,
            "value": str(self.value),
            "min_subtotal": dec(self.min_subtotal),
            "min_quantity": self.min_quantity,
            "include_products": sorted(self.scope.include_products),
            "include_categories": sorted(self.scope.include_categories),
            "exclude_products": sorted(self.scope.exclude_products),
            "exclude_categories": sorted(self.scope.exclude_categories),
            "first_order_only": self.first_order_only,
            "requires_customer": self.requires_customer,
            "usage_limit": self.usage_limit,
            "per_customer_limit": self.per_customer_limit,
            "single_use": self.single_use,
            "stackable": self.stackable,
            "starts_at": dt(self.starts_at),
            "expires_at": dt(self.expires_at),
            "owner_id": self.owner_id,
        }


@dataclass(frozen=True)
class Offers:
    """Everything the engine may apply: live or not, it checks dates itself."""

    promotions: tuple[Promotion, ...] = ()
    coupons: Mapping[str, Coupon] = field(default_factory=dict)  # by canonical code


@dataclass(frozen=True)
class PricingSettings:
    """Shipping and tax, in the cart's currency. See :func:`shop.pricing.settings_from_env`."""

    shipping_fee: Decimal = Decimal("5.99")
    free_shipping_threshold: Optional[Decimal] = Decimal("75.00")
    tax_rate: Decimal = Decimal("0")  # a fraction: 0.08 is 8 %


class DiscountTarget(str, Enum):
    """Whether a discount comes off the items or the shipping fee."""

    ITEMS = "items"
    SHIPPING = "shipping"


@dataclass(frozen=True)
class DiscountLine:
    """One explained discount: ``SAVE10: -$5.00, 10% off Outdoor``."""

    source: str  # "promotion", "coupon" or "shipping"
    name: str  # the coupon code or promotion name
    amount: Decimal  # positive, quantized
    description: str
    currency: str
    target: DiscountTarget = DiscountTarget.ITEMS
    promotion_id: Optional[int] = None
    coupon_id: Optional[int] = None
    #: ``lang`` -> the description in that language (``shop.pricing.wording``); None: as is.
    words: Optional[Callable[[str], str]] = field(default=None, compare=False, repr=False)

    def description_in(self, lang: str) -> str:
        """The description as ``lang`` says it; English (and without ``words``) ``description``."""
        return self.words(lang) if self.words is not None and lang != "en" else self.description

    @property
    def label(self) -> str:
        """The line a shopper reads: ``SAVE10: -$5.00, 10% off Outdoor``."""
        return f"{self.name}: -{format_money(self.amount, self.currency)}, {self.description}"


@dataclass(frozen=True)
class LineAdjustment:
    """How much one offer took off one line."""

    name: str
    amount: Decimal


@dataclass(frozen=True)
class QuoteLine:
    """A cart line with its base, what each offer took, and what is left."""

    line: CartLine
    base: Decimal  # unit price x quantity
    adjustments: tuple[LineAdjustment, ...]
    total: Decimal  # base minus its share of every item discount

    @property
    def discount(self) -> Decimal:
        """Everything taken off this line."""
        return self.base - self.total


@dataclass(frozen=True)
class Rejection:
    """Why a code was not applied: a stable reason code, its parameters and a sentence."""

    code: str  # safe echo of the code as typed (canonical when well-formed)
    reason: str  # a shop.pricing.rejections.Reason value
    params: Mapping[str, Any]
    message: str


@dataclass(frozen=True)
class AppliedCoupon:
    """A code that was applied, and what it saved."""

    coupon: Coupon
    amount: Decimal  # items + shipping discount from this coupon
    description: str


@dataclass(frozen=True)
class Quote:
    """The priced cart: lines, explained discounts, shipping, tax, total, refused codes."""

    currency: str
    lines: tuple[QuoteLine, ...]
    subtotal: Decimal  # sum of line bases
    discounts: tuple[DiscountLine, ...]  # in application order
    merchandise_total: Decimal  # sum of line totals
    shipping: Decimal  # fee before discounts
    shipping_discount: Decimal
    shipping_total: Decimal
    tax_rate: Decimal
    tax: Decimal
    total: Decimal
    applied: tuple[AppliedCoupon, ...]
    rejections: tuple[Rejection, ...]

    @property
    def applied_codes(self) -> tuple[str, ...]:
        """The codes that took effect, in application order."""
        return tuple(a.coupon.code for a in self.applied)

    @property
    def discount_total(self) -> Decimal:
        """Items and shipping discounts together."""
        return (self.subtotal - self.merchandise_total) + self.shipping_discount

    def explain(self) -> list[str]:
        """One sentence per discount line, in application order."""
        return [d.label for d in self.discounts if d.amount > 0 or d.source == "coupon"]
