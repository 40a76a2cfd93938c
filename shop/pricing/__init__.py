"""Cart-aware pricing the assistant can explain: quotes, coupons, redemption.

Plain Python, no Rasa. :func:`quote` is pure (``cart, codes, customer, now`` plus the
offers a repository loaded) and deterministic; :class:`PricingService` stores carts and
redeems coupons transactionally. Order of application (full text: ``RULES.md``):

1. line promotions (best single percentage / buy-X-get-Y per line),
2. order promotions (fixed, spend threshold; by priority), allocated over lines,
3. coupons, checked in the documented rejection order; exclusive vs stackable resolved to
   the cheapest total; percentage, then fixed, allocated by largest remainder,
4. shipping (threshold, free-shipping promotion, free-shipping coupon),
5. tax on the discounted merchandise plus shipping.

Rejection reasons, in check order: unknown_code, inactive, not_started, expired,
limit_reached, already_used_by_customer, sign_in_required, first_order_only,
min_subtotal_not_met, min_quantity_not_met, no_eligible_items, not_combinable.

Around it: :meth:`PricingService.offers_for` (``ask_discounts``: public deals plus personal
win-back / loyalty / welcome offers, :mod:`shop.pricing.offers`),
:meth:`PricingService.quote_items` ("how much with code X" without a cart),
:class:`shop.pricing.throttle.CodeAttemptThrottle` (code guessing per conversation) and
``python -m shop.pricing.suggest`` (price suggestions from the order history).
"""

from shop.pricing.codes import normalize_code
from shop.pricing.engine import quote
from shop.pricing.model import (
    AppliedCoupon,
    CartLine,
    CartView,
    Coupon,
    CouponKind,
    CustomerView,
    DiscountLine,
    Offers,
    PricingSettings,
    Promotion,
    PromotionKind,
    Quote,
    QuoteLine,
    Rejection,
    Scope,
)
from shop.pricing.rejections import CHECK_ORDER, Reason
from shop.pricing.settings import settings_from_env

__all__ = [
    "AppliedCoupon",
    "CHECK_ORDER",
    "CartLine",
    "CartView",
    "Coupon",
    "CouponKind",
    "CustomerView",
    "DiscountLine",
    "Offers",
    "PricingSettings",
    "Promotion",
    "PromotionKind",
    "Quote",
    "QuoteLine",
    "Reason",
    "Rejection",
    "Scope",
    "normalize_code",
    "quote",
    "settings_from_env",
]
