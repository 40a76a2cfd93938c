"""Properties of quote() over random carts, promotions and coupons."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from shop.money import digits
from shop.pricing import (
    CartLine,
    CartView,
    Coupon,
    CouponKind,
    Offers,
    PricingSettings,
    Promotion,
    PromotionKind,
    Scope,
    quote,
)
from shop.pricing.allocation import is_quantized
from tests.pricing.builders import NOW, customer

CATEGORIES = ["Tents", "Socks", "Kitchen", "Jackets"]
CURRENCIES = ["USD", "EUR", "JPY"]


def amounts(currency: str, max_units: int = 50_000):
    return st.integers(min_value=0, max_value=max_units).map(lambda u: Decimal(u).scaleb(-digits(currency)))


percents = st.decimals(min_value=0, max_value=100, places=2)
scopes = st.builds(
    Scope,
    include_categories=st.frozensets(st.sampled_from(CATEGORIES), max_size=2),
    exclude_products=st.frozensets(st.integers(1, 6), max_size=2),
)


@st.composite
def carts(draw, currency=None):
    cur = currency or draw(st.sampled_from(CURRENCIES))
    n = draw(st.integers(min_value=0, max_value=6))
    lines = tuple(
        CartLine(
            product_id=i + 1,
            sku=f"SKU-{i + 1}",
            name=f"P{i + 1}",
            category=draw(st.sampled_from(CATEGORIES)),
            unit_price=draw(amounts(cur, 30_000)),
            quantity=draw(st.integers(min_value=1, max_value=9)),
        )
        for i in range(n)
    )
    return CartView(currency=cur, lines=lines)


@st.composite
def coupons(draw, code):
    kind = draw(st.sampled_from(list(CouponKind)))
    value = draw(percents) if kind is CouponKind.PERCENTAGE else draw(st.decimals(0, 500, places=2))
    return Coupon(
        id=hash(code) % 10_000,
        code=code,
        kind=kind,
        value=value,
        scope=draw(scopes),
        min_subtotal=draw(st.none() | st.decimals(0, 300, places=2)),
        stackable=draw(st.booleans()),
    )


@st.composite
def promotions(draw, pid):
    kind = draw(st.sampled_from(list(PromotionKind)))
    value = draw(percents) if kind is PromotionKind.PERCENTAGE else draw(st.decimals(0, 200, places=2))
    return Promotion(
        id=pid,
        name=f"Promo {pid}",
        kind=kind,
        value=value,
        scope=draw(scopes),
        buy_quantity=draw(st.integers(0, 3)),
        get_quantity=draw(st.integers(0, 2)),
        min_subtotal=draw(st.none() | st.decimals(0, 300, places=2)),
        priority=draw(st.integers(0, 3)),
    )


CODES = ["AAA", "BBB", "CCC", "DDD"]


@st.composite
def scenarios(draw):
    c = draw(carts())
    offer_coupons = {
        code: draw(coupons(code)) for code in draw(st.lists(st.sampled_from(CODES), unique=True))
    }
    promos = tuple(draw(promotions(i)) for i in range(draw(st.integers(0, 4))))
    codes = draw(st.lists(st.sampled_from(CODES + ["nope", "bbb"]), max_size=5))
    pricing = PricingSettings(
        shipping_fee=draw(st.decimals(0, 20, places=2)),
        free_shipping_threshold=draw(st.none() | st.decimals(0, 200, places=2)),
        tax_rate=draw(st.decimals(0, Decimal("0.25"), places=4)),
    )
    return c, Offers(promotions=promos, coupons=offer_coupons), codes, pricing


def run(c, offers, codes, pricing):
    return quote(c, codes, customer(), NOW, offers=offers, settings=pricing)


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_totals_are_never_negative_and_add_up(s):
    c, offers, codes, pricing = s
    q = run(c, offers, codes, pricing)
    assert q.total >= 0 and q.merchandise_total >= 0 and q.shipping_total >= 0 and q.tax >= 0
    assert all(ql.total >= 0 for ql in q.lines)
    assert sum((ql.total for ql in q.lines), Decimal(0)) == q.merchandise_total
    assert q.total == q.merchandise_total + q.shipping_total + q.tax
    assert q.shipping_total == q.shipping - q.shipping_discount


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_no_discount_exceeds_what_it_applies_to(s):
    c, offers, codes, pricing = s
    q = run(c, offers, codes, pricing)
    assert all(d.amount >= 0 for d in q.discounts)
    item_discounts = sum((d.amount for d in q.discounts if d.target.value == "items"), Decimal(0))
    ship_discounts = sum((d.amount for d in q.discounts if d.target.value == "shipping"), Decimal(0))
    assert item_discounts == q.subtotal - q.merchandise_total <= q.subtotal
    assert ship_discounts == q.shipping_discount <= q.shipping
    for ql in q.lines:
        assert 0 <= ql.discount <= ql.base
        assert sum((a.amount for a in ql.adjustments), Decimal(0)) == ql.discount


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_every_amount_is_rounded_to_the_currency(s):
    c, offers, codes, pricing = s
    q = run(c, offers, codes, pricing)
    cur = c.currency
    for amount in (q.subtotal, q.merchandise_total, q.shipping, q.shipping_discount, q.tax, q.total):
        assert is_quantized(amount, cur), amount
    assert all(is_quantized(d.amount, cur) for d in q.discounts)
    assert all(is_quantized(ql.total, cur) for ql in q.lines)


@settings(max_examples=200, deadline=None)
@given(scenarios(), st.randoms(use_true_random=False))
def test_code_order_never_changes_the_quote(s, rnd):
    c, offers, codes, pricing = s
    shuffled = list(codes)
    rnd.shuffle(shuffled)
    assert run(c, offers, shuffled, pricing) == run(c, offers, codes, pricing)


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_applying_a_code_twice_changes_nothing(s):
    c, offers, codes, pricing = s
    assert run(c, offers, codes + codes, pricing) == run(c, offers, codes, pricing)
    for code in codes:
        assert run(c, offers, codes + [code.lower()], pricing) == run(c, offers, codes, pricing)


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_each_code_is_either_applied_or_explained(s):
    c, offers, codes, pricing = s
    q = run(c, offers, codes, pricing)
    from shop.pricing.codes import normalize_code

    wanted = {normalize_code(x) for x in codes}
    answered = set(q.applied_codes) | {r.code for r in q.rejections}
    assert wanted == answered
    assert not set(q.applied_codes) & {r.code for r in q.rejections}


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_a_valid_code_never_costs_more_than_no_code(s):
    c, offers, codes, pricing = s
    assert run(c, offers, codes, pricing).total <= run(c, offers, [], pricing).total
