"""The pricing engine: ``quote(cart, codes, customer, now)``, pure and deterministic.

It reads only its arguments (the cart, the codes typed, the customer, the clock and the
offers loaded by the repository) and returns a :class:`~shop.pricing.model.Quote`; it
writes nothing, so the assistant may call it as often as it likes. The order of
application is documented in ``shop/pricing/RULES.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Iterable, Optional, Sequence

from shop import messages as m
from shop.clock import naive_utc
from shop.money import quantize
from shop.pricing.allocation import allocate, clamp_percent, percent_of, zero
from shop.pricing.checks import validate_codes
from shop.pricing.model import (
    AppliedCoupon,
    CartView,
    Coupon,
    CouponKind,
    CustomerView,
    DiscountLine,
    DiscountTarget,
    LineAdjustment,
    Offers,
    PricingSettings,
    Promotion,
    PromotionKind,
    Quote,
    QuoteLine,
    Rejection,
)
from shop.pricing.rejections import Reason, reject
from shop.pricing.wording import describe_coupon, describe_promotion, free_shipping_over

#: ``naive_utc`` is :func:`shop.clock.naive_utc`, importable from here for older callers.
__all__ = ["naive_utc", "quote"]

LINE_PROMOTIONS = (PromotionKind.PERCENTAGE, PromotionKind.BUY_X_GET_Y)
ORDER_PROMOTIONS = (PromotionKind.FIXED, PromotionKind.SPEND_THRESHOLD)
_COUPON_STAGE = {CouponKind.PERCENTAGE: 0, CouponKind.FIXED: 1, CouponKind.FREE_SHIPPING: 2}


def _promotion_order(p: Promotion) -> tuple[int, int]:
    return (-p.priority, p.id)


@dataclass
class _Ledger:
    """Net amount per line plus who took what, mutated stage by stage."""

    currency: str
    nets: list[Decimal]
    adjustments: list[list[LineAdjustment]]
    discounts: list[DiscountLine] = field(default_factory=list)

    def copy(self) -> _Ledger:
        return _Ledger(
            self.currency,
            list(self.nets),
            [list(a) for a in self.adjustments],
            list(self.discounts),
        )

    @property
    def merchandise(self) -> Decimal:
        return sum(self.nets, zero(self.currency))

    def take(self, index: int, name: str, amount: Decimal) -> None:
        if amount <= 0:
            return
        assert amount <= self.nets[index], "a discount may not exceed its line"
        self.nets[index] -= amount
        self.adjustments[index].append(LineAdjustment(name, amount))

    def spread(self, indexes: Sequence[int], name: str, amount: Decimal) -> Decimal:
        """Take ``amount`` (capped at what the lines hold) across ``indexes``."""
        pool = sum((self.nets[i] for i in indexes), zero(self.currency))
        amount = min(quantize(amount, self.currency), pool)
        if amount <= 0:
            return zero(self.currency)
        shares = allocate(amount, [self.nets[i] for i in indexes], self.currency)
        for i, share in zip(indexes, shares, strict=False):
            self.take(i, name, share)
        return amount


def quote(
    cart: CartView,
    codes: Iterable[str],
    customer: Optional[CustomerView],
    now: datetime,
    *,
    offers: Offers = Offers(),
    settings: PricingSettings = PricingSettings(),
) -> Quote:
    """Price ``cart`` with the automatic promotions and the coupon ``codes``.

    Codes are normalised and de-duplicated, so their order and repetition never
    change the result. Refused codes come back as :class:`Rejection` s, never raised.
    """
    now = naive_utc(now)
    cur = cart.currency
    bases = [quantize(quantize(line.unit_price, cur) * line.quantity, cur) for line in cart.lines]
    ledger = _Ledger(cur, list(bases), [[] for _ in cart.lines])

    live = sorted((p for p in offers.promotions if p.live(now)), key=_promotion_order)
    _apply_line_promotions(cart, ledger, [p for p in live if p.kind in LINE_PROMOTIONS])
    _apply_order_promotions(cart, ledger, [p for p in live if p.kind in ORDER_PROMOTIONS])

    candidates, rejections = validate_codes(cart, codes, customer, now, offers, ledger.merchandise)
    shipping_promotions = [p for p in live if p.kind is PromotionKind.FREE_SHIPPING]
    outcome, refused = _choose_coupons(cart, ledger, candidates, shipping_promotions, settings)
    rejections.extend(refused)

    final = outcome.ledger
    merchandise = final.merchandise
    shipping_total = outcome.shipping - outcome.shipping_discount
    tax = quantize((merchandise + shipping_total) * settings.tax_rate, cur)
    lines = tuple(
        QuoteLine(line, base, tuple(adj), net)
        for line, base, adj, net in zip(cart.lines, bases, final.adjustments, final.nets, strict=False)
    )
    return Quote(
        currency=cur,
        lines=lines,
        subtotal=sum(bases, zero(cur)),
        discounts=tuple(final.discounts),
        merchandise_total=merchandise,
        shipping=outcome.shipping,
        shipping_discount=outcome.shipping_discount,
        shipping_total=shipping_total,
        tax_rate=settings.tax_rate,
        tax=tax,
        total=merchandise + shipping_total + tax,
        applied=tuple(outcome.applied),
        rejections=tuple(sorted(rejections, key=lambda r: (r.code, r.reason))),
    )


# 1. line promotions ---------------------------------------------------------------------


def _line_promotion_amount(p: Promotion, unit: Decimal, qty: int, net: Decimal, cur: str) -> Decimal:
    if p.kind is PromotionKind.PERCENTAGE:
        amount = percent_of(net, clamp_percent(p.value), cur)
    else:  # BUY_X_GET_Y, within one line
        if p.buy_quantity <= 0 or p.get_quantity <= 0:
            return zero(cur)
        free_units = (qty // (p.buy_quantity + p.get_quantity)) * p.get_quantity
        amount = quantize(unit * free_units, cur)
    return min(amount, net)


def _apply_line_promotions(cart: CartView, ledger: _Ledger, promos: list[Promotion]) -> None:
    """Each line gets the single best line promotion (ties: higher priority, lower id)."""
    cur = cart.currency
    totals: dict[int, Decimal] = {}
    for i, line in enumerate(cart.lines):
        best: Optional[tuple[Promotion, Decimal]] = None
        for p in promos:
            if not p.scope.matches(line):
                continue
            amount = _line_promotion_amount(
                p, quantize(line.unit_price, cur), line.quantity, ledger.nets[i], cur
            )
            if amount > 0 and (best is None or amount > best[1]):
                best = (p, amount)
        if best is not None:
            ledger.take(i, best[0].name, best[1])
            totals[best[0].id] = totals.get(best[0].id, zero(cur)) + best[1]
    for p in promos:
        if p.id in totals:
            ledger.discounts.append(
                DiscountLine(
                    "promotion",
                    p.name,
                    totals[p.id],
                    describe_promotion(p, cur),
                    cur,
                    promotion_id=p.id,
                    words=partial(describe_promotion, p, cur),
                )
            )


# 2. order promotions --------------------------------------------------------------------


def _apply_order_promotions(cart: CartView, ledger: _Ledger, promos: list[Promotion]) -> None:
    """Fixed and spend-threshold promotions, by priority, each allocated over its lines."""
    cur = cart.currency
    for p in promos:
        idx = [i for i, line in enumerate(cart.lines) if p.scope.matches(line) and ledger.nets[i] > 0]
        pool = sum((ledger.nets[i] for i in idx), zero(cur))
        threshold = p.min_subtotal
        if p.kind is PromotionKind.SPEND_THRESHOLD and threshold is None:
            continue
        if threshold is not None and pool < quantize(threshold, cur):
            continue
        taken = ledger.spread(idx, p.name, max(p.value, Decimal(0)))
        if taken > 0:
            ledger.discounts.append(
                DiscountLine(
                    "promotion",
                    p.name,
                    taken,
                    describe_promotion(p, cur),
                    cur,
                    promotion_id=p.id,
                    words=partial(describe_promotion, p, cur),
                )
            )


# 3. coupons -----------------------------------------------------------------------------


@dataclass
class _Outcome:
    ledger: _Ledger
    applied: list[AppliedCoupon]
    shipping: Decimal
    shipping_discount: Decimal

    @property
    def saving(self) -> Decimal:
        """Larger is cheaper for the shopper (the pre-coupon amount is the same for all)."""
        return self.shipping_discount - self.ledger.merchandise


def _choose_coupons(
    cart: CartView,
    ledger: _Ledger,
    valid: list[Coupon],
    shipping_promotions: list[Promotion],
    settings: PricingSettings,
) -> tuple[_Outcome, list[Rejection]]:
    """All stackable codes together, or one exclusive code alone: the cheapest total wins.

    Ties go to the stackable set, then to the exclusive code first in alphabetical order.
    """
    exclusive = [c for c in valid if not c.stackable]
    if len(valid) <= 1 or not exclusive:
        return _price_coupons(cart, ledger, valid, shipping_promotions, settings), []
    stack = [c for c in valid if c.stackable]
    options = ([stack] if stack else []) + [[c] for c in exclusive]
    outcomes = [_price_coupons(cart, ledger, opt, shipping_promotions, settings) for opt in options]
    best = min(range(len(options)), key=lambda i: (-outcomes[i].saving, i))
    kept = options[best]
    kept_codes = ", ".join(c.code for c in kept)
    refused = [
        reject(c.code, Reason.NOT_COMBINABLE, cart.currency, kept=kept_codes) for c in valid if c not in kept
    ]
    return outcomes[best], refused


def _price_coupons(
    cart: CartView,
    start: _Ledger,
    coupons: list[Coupon],
    shipping_promotions: list[Promotion],
    settings: PricingSettings,
) -> _Outcome:
    """Stages 3-4: coupons (percentage, then fixed, then free shipping), then shipping."""
    cur = cart.currency
    ledger = start.copy()
    applied: list[AppliedCoupon] = []
    ordered = sorted(coupons, key=lambda c: (_COUPON_STAGE[c.kind], c.code))
    for c in ordered:
        if c.kind is CouponKind.FREE_SHIPPING:
            continue
        idx = [i for i, line in enumerate(cart.lines) if c.scope.matches(line) and ledger.nets[i] > 0]
        pool = sum((ledger.nets[i] for i in idx), zero(cur))
        if c.kind is CouponKind.PERCENTAGE:
            wanted = percent_of(pool, clamp_percent(c.value), cur)
        else:
            wanted = quantize(max(c.value, Decimal(0)), cur)
        taken = ledger.spread(idx, c.code, wanted)
        text = describe_coupon(c, cur)
        ledger.discounts.append(
            DiscountLine(
                "coupon", c.code, taken, text, cur, coupon_id=c.id, words=partial(describe_coupon, c, cur)
            )
        )
        applied.append(AppliedCoupon(c, taken, text))

    # 4. shipping: the first waiver that applies takes the whole fee.
    # Thresholds see the total before coupons, so adding a code can never cost more.
    fee = quantize(settings.shipping_fee, cur) if cart.lines else zero(cur)
    remaining = fee
    merchandise = start.merchandise
    threshold = settings.free_shipping_threshold
    if remaining > 0 and threshold is not None and merchandise >= quantize(threshold, cur):
        ledger.discounts.append(
            DiscountLine(
                "shipping",
                "Free shipping",
                remaining,
                free_shipping_over(threshold, cur),
                cur,
                target=DiscountTarget.SHIPPING,
                words=partial(free_shipping_over, threshold, cur),
            )
        )
        remaining = zero(cur)
    for p in shipping_promotions:
        if remaining <= 0:
            break
        if p.min_subtotal is not None and merchandise < quantize(p.min_subtotal, cur):
            continue
        if not any(p.scope.matches(line) for line in cart.lines):
            continue
        ledger.discounts.append(
            DiscountLine(
                "promotion",
                p.name,
                remaining,
                "free shipping",
                cur,
                target=DiscountTarget.SHIPPING,
                promotion_id=p.id,
                words=partial(m.text, "offer.free_shipping"),
            )
        )
        remaining = zero(cur)
    for c in ordered:
        if c.kind is not CouponKind.FREE_SHIPPING:
            continue
        taken = remaining
        remaining = zero(cur)
        key = "offer.free_shipping" if taken > 0 else "offer.free_shipping_already"
        text = m.text(key, "en")
        ledger.discounts.append(
            DiscountLine(
                "coupon",
                c.code,
                taken,
                text,
                cur,
                target=DiscountTarget.SHIPPING,
                coupon_id=c.id,
                words=partial(m.text, key),
            )
        )
        applied.append(AppliedCoupon(c, taken, text))
    return _Outcome(ledger, applied, fee, fee - remaining)
