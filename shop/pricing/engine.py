"""The pricing engine: ``quote(cart, codes, customer, now)``, pure and deterministic.

It reads only its arguments (the cart, the codes typed, the customer, the clock and the
offers loaded by the repository) and returns a :class:`~shop.pricing.model.Quote`; it
writes nothing, so the assistant may call it as often as it likes. The order of
application is documented in ``shop/pricing/RULES.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Iterable, Optional, Sequence

from shop.pricing.codes import display_code, normalize_code
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
from shop.pricing.money import allocate, format_money, format_percent, money, percent_of, zero
from shop.pricing.rejections import Reason, reject

LINE_PROMOTIONS = (PromotionKind.PERCENTAGE, PromotionKind.BUY_X_GET_Y)
ORDER_PROMOTIONS = (PromotionKind.FIXED, PromotionKind.SPEND_THRESHOLD)
_COUPON_STAGE = {CouponKind.PERCENTAGE: 0, CouponKind.FIXED: 1, CouponKind.FREE_SHIPPING: 2}


def naive_utc(now: datetime) -> datetime:
    """The database keeps naive UTC; accept aware datetimes too."""
    if now.tzinfo is None:
        return now
    return now.astimezone(timezone.utc).replace(tzinfo=None)


def _clamp_percent(value: Decimal) -> Decimal:
    return min(max(value, Decimal(0)), Decimal(100))


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
        amount = min(money(amount, self.currency), pool)
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
    bases = [money(money(line.unit_price, cur) * line.quantity, cur) for line in cart.lines]
    ledger = _Ledger(cur, list(bases), [[] for _ in cart.lines])

    live = sorted((p for p in offers.promotions if p.live(now)), key=_promotion_order)
    _apply_line_promotions(cart, ledger, [p for p in live if p.kind in LINE_PROMOTIONS])
    _apply_order_promotions(cart, ledger, [p for p in live if p.kind in ORDER_PROMOTIONS])

    candidates, rejections = _validate_codes(cart, codes, customer, now, offers, ledger.merchandise)
    shipping_promotions = [p for p in live if p.kind is PromotionKind.FREE_SHIPPING]
    outcome, refused = _choose_coupons(cart, ledger, candidates, shipping_promotions, settings)
    rejections.extend(refused)

    final = outcome.ledger
    merchandise = final.merchandise
    shipping_total = outcome.shipping - outcome.shipping_discount
    tax = money((merchandise + shipping_total) * settings.tax_rate, cur)
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
        amount = percent_of(net, _clamp_percent(p.value), cur)
    else:  # BUY_X_GET_Y, within one line
        if p.buy_quantity <= 0 or p.get_quantity <= 0:
            return zero(cur)
        free_units = (qty // (p.buy_quantity + p.get_quantity)) * p.get_quantity
        amount = money(unit * free_units, cur)
    return min(amount, net)


def describe_promotion(p: Promotion, cur: str) -> str:
    scope = p.scope.describe()
    if p.kind is PromotionKind.PERCENTAGE:
        return f"{format_percent(_clamp_percent(p.value))} off {scope}"
    if p.kind is PromotionKind.BUY_X_GET_Y:
        return f"buy {p.buy_quantity} get {p.get_quantity} free on {scope}"
    if p.kind is PromotionKind.FIXED:
        return f"{format_money(p.value, cur)} off {scope}"
    if p.kind is PromotionKind.SPEND_THRESHOLD:
        threshold = format_money(p.min_subtotal or Decimal(0), cur)
        text = f"{format_money(p.value, cur)} off when you spend {threshold}"
        return text if scope == "everything" else f"{text} on {scope}"
    return "free shipping"


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
                p, money(line.unit_price, cur), line.quantity, ledger.nets[i], cur
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
                    "promotion", p.name, totals[p.id], describe_promotion(p, cur), cur, promotion_id=p.id
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
        if threshold is not None and pool < money(threshold, cur):
            continue
        taken = ledger.spread(idx, p.name, max(p.value, Decimal(0)))
        if taken > 0:
            ledger.discounts.append(
                DiscountLine("promotion", p.name, taken, describe_promotion(p, cur), cur, promotion_id=p.id)
            )


# 3. coupons -----------------------------------------------------------------------------


def _validate_codes(
    cart: CartView,
    codes: Iterable[str],
    customer: Optional[CustomerView],
    now: datetime,
    offers: Offers,
    merchandise: Decimal,
) -> tuple[list[Coupon], list[Rejection]]:
    """Checks each distinct code in the order of :data:`~shop.pricing.rejections.CHECK_ORDER`."""
    cur = cart.currency
    seen: set[str] = set()
    valid: list[Coupon] = []
    rejections: list[Rejection] = []
    for raw in codes:
        canon = normalize_code(raw)
        shown = canon if canon is not None else display_code(raw)
        key = canon if canon is not None else "\x00" + shown
        if key in seen:
            continue
        seen.add(key)
        coupon = offers.coupons.get(canon) if canon is not None else None
        if coupon is not None and not _visible_to(coupon, customer):
            coupon = None  # someone else's personal code: as if it did not exist
        if coupon is None:
            rejections.append(reject(shown, Reason.UNKNOWN_CODE, cur))
            continue
        refusal = _check(coupon, cart, customer, now, merchandise)
        if refusal is not None:
            rejections.append(refusal)
        else:
            valid.append(coupon)
    valid.sort(key=lambda c: c.code)
    return valid, rejections


def _visible_to(c: Coupon, customer: Optional[CustomerView]) -> bool:
    return c.owner_id is None or customer is None or customer.id == c.owner_id


def check_terms(
    c: Coupon, customer: Optional[CustomerView], now: datetime, currency: str = "USD"
) -> Optional[Rejection]:
    """The cart-independent checks (``unknown_code`` for someone else's personal code, then
    ``inactive`` .. ``first_order_only``): could this shopper use ``c`` at all right now?"""
    if not _visible_to(c, customer):
        return reject(c.code, Reason.UNKNOWN_CODE, currency)
    return _check_terms(c, customer, naive_utc(now), currency)


def _check_terms(c: Coupon, customer: Optional[CustomerView], now: datetime, cur: str) -> Optional[Rejection]:
    code = c.code
    if not c.active:
        return reject(code, Reason.INACTIVE, cur)
    if c.starts_at is not None and now < c.starts_at:
        return reject(code, Reason.NOT_STARTED, cur, starts_at=c.starts_at)
    if c.expires_at is not None and now >= c.expires_at:
        return reject(code, Reason.EXPIRED, cur, expired_at=c.expires_at)
    limit = c.effective_usage_limit
    if limit is not None and c.usage_count >= limit:
        return reject(code, Reason.LIMIT_REACHED, cur, limit=limit)
    if customer is not None and c.per_customer_limit is not None:
        if customer.coupon_uses.get(c.id, 0) >= c.per_customer_limit:
            return reject(code, Reason.ALREADY_USED_BY_CUSTOMER, cur, limit=c.per_customer_limit)
    if c.needs_customer and customer is None:
        return reject(code, Reason.SIGN_IN_REQUIRED, cur)
    if c.first_order_only and customer is not None and customer.order_count > 0:
        return reject(code, Reason.FIRST_ORDER_ONLY, cur)
    return None


def _check(
    c: Coupon, cart: CartView, customer: Optional[CustomerView], now: datetime, merchandise: Decimal
) -> Optional[Rejection]:
    cur = cart.currency
    code = c.code
    refusal = _check_terms(c, customer, now, cur)
    if refusal is not None:
        return refusal
    if c.min_subtotal is not None:
        need = money(c.min_subtotal, cur)
        if merchandise < need:
            return reject(
                code,
                Reason.MIN_SUBTOTAL_NOT_MET,
                cur,
                min_subtotal=need,
                subtotal=merchandise,
                missing=need - merchandise,
            )
    if c.min_quantity is not None and cart.quantity < c.min_quantity:
        return reject(
            code,
            Reason.MIN_QUANTITY_NOT_MET,
            cur,
            min_quantity=c.min_quantity,
            quantity=cart.quantity,
            missing=c.min_quantity - cart.quantity,
        )
    if not any(c.scope.matches(line) for line in cart.lines):
        return reject(code, Reason.NO_ELIGIBLE_ITEMS, cur, applies_to=c.scope.describe())
    return None


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


def describe_coupon(c: Coupon, cur: str) -> str:
    if c.kind is CouponKind.PERCENTAGE:
        return f"{format_percent(_clamp_percent(c.value))} off {c.scope.describe()}"
    if c.kind is CouponKind.FIXED:
        return f"{format_money(c.value, cur)} off {c.scope.describe()}"
    return "free shipping"


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
            wanted = percent_of(pool, _clamp_percent(c.value), cur)
        else:
            wanted = money(max(c.value, Decimal(0)), cur)
        taken = ledger.spread(idx, c.code, wanted)
        text = describe_coupon(c, cur)
        ledger.discounts.append(DiscountLine("coupon", c.code, taken, text, cur, coupon_id=c.id))
        applied.append(AppliedCoupon(c, taken, text))

    # 4. shipping: the first waiver that applies takes the whole fee.
    # Thresholds see the total before coupons, so adding a code can never cost more.
    fee = money(settings.shipping_fee, cur) if cart.lines else zero(cur)
    remaining = fee
    merchandise = start.merchandise
    threshold = settings.free_shipping_threshold
    if remaining > 0 and threshold is not None and merchandise >= money(threshold, cur):
        ledger.discounts.append(
            DiscountLine(
                "shipping",
                "Free shipping",
                remaining,
                f"free shipping on orders over {format_money(threshold, cur)}",
                cur,
                target=DiscountTarget.SHIPPING,
            )
        )
        remaining = zero(cur)
    for p in shipping_promotions:
        if remaining <= 0:
            break
        if p.min_subtotal is not None and merchandise < money(p.min_subtotal, cur):
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
            )
        )
        remaining = zero(cur)
    for c in ordered:
        if c.kind is not CouponKind.FREE_SHIPPING:
            continue
        taken = remaining
        remaining = zero(cur)
        text = "free shipping" if taken > 0 else "free shipping (shipping is already free)"
        ledger.discounts.append(
            DiscountLine("coupon", c.code, taken, text, cur, target=DiscountTarget.SHIPPING, coupon_id=c.id)
        )
        applied.append(AppliedCoupon(c, taken, text))
    return _Outcome(ledger, applied, fee, fee - remaining)
