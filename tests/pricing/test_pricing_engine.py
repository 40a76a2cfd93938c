"""The rules of shop/pricing/RULES.md, one behaviour per test."""

from datetime import timedelta
from decimal import Decimal

from shop.pricing import PricingSettings
from tests.pricing.builders import NOW, cart, coupon, line, price, promo, scope

SHIPPING = PricingSettings(shipping_fee=Decimal("5.99"), free_shipping_threshold=Decimal("75.00"))


def test_discount_line_explains_itself():
    c = cart(line(1, "50.00", category="Tents", ancestors=("Outdoor",)), line(2, "20.00", category="Kitchen"))
    q = price(c, ["SAVE10"], coupon("SAVE10", scope=scope(include_categories={"Outdoor"})))
    assert q.explain() == ["SAVE10: -$5.00, 10% off Outdoor"]
    assert [adj.amount for adj in q.lines[0].adjustments] == [Decimal("5.00")]
    assert q.lines[1].adjustments == ()


def test_order_discount_allocated_so_lines_sum_to_total():
    c = cart(line(1, "0.10"), line(2, "0.10"), line(3, "0.10"))
    q = price(c, ["ONE"], coupon("ONE", "fixed", "0.10"))
    assert [ql.total for ql in q.lines] == [Decimal("0.06"), Decimal("0.07"), Decimal("0.07")]
    assert sum(ql.total for ql in q.lines) == q.merchandise_total == Decimal("0.20")


def test_fixed_coupon_never_exceeds_what_it_applies_to():
    c = cart(line(1, "12.00", category="Socks"), line(2, "100.00", category="Tents"))
    q = price(c, ["BIG"], coupon("BIG", "fixed", "50", scope=scope(include_categories={"Socks"})))
    assert q.explain() == ["BIG: -$12.00, $50.00 off Socks"]
    assert q.lines[0].total == Decimal("0.00") and q.lines[1].total == Decimal("100.00")


def test_line_promotion_best_single_one_per_line():
    c = cart(line(1, "100.00", category="Tents", ancestors=("Outdoor",)))
    q = price(
        c,
        [],
        promo(1, "percentage", "10", name="Sitewide"),
        promo(2, "percentage", "15", name="Camp week", scope=scope(include_categories={"Tents"})),
    )
    assert q.explain() == ["Camp week: -$15.00, 15% off Tents"]


def test_buy_x_get_y_within_a_line():
    c = cart(line(1, "9.00", qty=7, category="Socks"))
    q = price(
        c,
        [],
        promo(
            1,
            "buy_x_get_y",
            buy_quantity=2,
            get_quantity=1,
            name="Socks 3 for 2",
            scope=scope(include_categories={"Socks"}),
        ),
    )
    assert q.explain() == ["Socks 3 for 2: -$18.00, buy 2 get 1 free on Socks"]  # 2 free of 7


def test_spend_threshold_uses_the_amount_after_line_promotions():
    c = cart(line(1, "160.00"))
    threshold = promo(2, "spend_threshold", "15", min_subtotal=Decimal("150"), name="Spend150")
    assert price(c, [], threshold).merchandise_total == Decimal("145.00")
    sale = promo(1, "percentage", "10", name="Sale")  # 160 -> 144, below the threshold
    assert price(c, [], sale, threshold).merchandise_total == Decimal("144.00")


def test_promotions_outside_their_window_do_not_apply():
    c = cart(line(1, "100.00"))
    old = promo(1, "percentage", "50", ends_at=NOW - timedelta(seconds=1))
    later = promo(2, "percentage", "50", starts_at=NOW + timedelta(seconds=1))
    off = promo(3, "percentage", "50", active=False)
    assert price(c, [], old, later, off).total == Decimal("100.00")


def test_coupon_applies_after_promotions_and_min_subtotal_sees_promoted_price():
    c = cart(line(1, "55.00"))
    sale = promo(1, "percentage", "10", name="Sale")  # 49.50 after the sale
    q = price(c, ["SAVE10"], sale, coupon("SAVE10", min_subtotal=Decimal("50")))
    [r] = q.rejections
    assert r.reason == "min_subtotal_not_met" and r.params["missing"] == "0.50"
    assert "spend $0.50 more" in r.message


def test_shipping_fee_and_free_shipping_threshold():
    small = price(cart(line(1, "20.00")), [], settings=SHIPPING)
    assert (small.shipping, small.shipping_total, small.total) == (
        Decimal("5.99"),
        Decimal("5.99"),
        Decimal("25.99"),
    )
    big = price(cart(line(1, "80.00")), [], settings=SHIPPING)
    assert big.shipping_total == Decimal("0.00") and big.total == Decimal("80.00")
    assert big.explain() == ["Free shipping: -$5.99, free shipping on orders over $75.00"]
    # the threshold is measured after promotions, before coupons
    disc = price(cart(line(1, "80.00")), ["TEN"], coupon("TEN", "fixed", "10"), settings=SHIPPING)
    assert disc.shipping_total == Decimal("0.00") and disc.total == Decimal("70.00")
    sale = price(cart(line(1, "80.00")), [], promo(1, "fixed", "10"), settings=SHIPPING)
    assert sale.shipping_total == Decimal("5.99") and sale.total == Decimal("75.99")


def test_a_small_coupon_never_costs_free_shipping():
    no_code = price(cart(line(1, "76.00")), [], settings=SHIPPING)
    two_pct = price(cart(line(1, "76.00")), ["TWO"], coupon("TWO", value="2"), settings=SHIPPING)
    assert two_pct.total == Decimal("74.48") < no_code.total == Decimal("76.00")


def test_free_shipping_coupon_and_promotion():
    c = cart(line(1, "20.00"))
    q = price(c, ["freeship"], coupon("FREESHIP", "free_shipping", stackable=True), settings=SHIPPING)
    assert q.explain() == ["FREESHIP: -$5.99, free shipping"] and q.total == Decimal("20.00")
    p = price(
        c,
        ["FREESHIP"],
        promo(1, "free_shipping", name="Ship free week"),
        coupon("FREESHIP", "free_shipping", stackable=True),
        settings=SHIPPING,
    )
    assert p.total == Decimal("20.00")
    assert p.explain() == [
        "Ship free week: -$5.99, free shipping",
        "FREESHIP: -$0.00, free shipping (shipping is already free)",
    ]


def test_empty_cart_costs_nothing():
    q = price(cart(), [], settings=SHIPPING)
    assert q.total == Decimal("0.00") and q.shipping == Decimal("0.00")
    assert (
        price(cart(), ["SAVE10"], coupon("SAVE10"), settings=SHIPPING).rejections[0].reason
        == "no_eligible_items"
    )


def test_tax_on_discounted_subtotal_plus_shipping():
    s = PricingSettings(
        shipping_fee=Decimal("5.00"), free_shipping_threshold=None, tax_rate=Decimal("0.0825")
    )
    q = price(cart(line(1, "40.00")), ["TEN"], coupon("TEN", value="10"), settings=s)
    # (36.00 + 5.00) * 8.25 % = 3.3825 -> 3.38
    assert (q.merchandise_total, q.tax, q.total) == (Decimal("36.00"), Decimal("3.38"), Decimal("44.38"))


def test_yen_has_no_decimals():
    q = price(cart(line(1, "1999", qty=3), currency="JPY"), ["TEN"], coupon("TEN", value="15"))
    assert q.subtotal == Decimal("5997") and q.merchandise_total == Decimal("5097")  # 899.55 -> 900
    assert q.explain() == ["TEN: -¥900, 15% off everything"]


def test_same_coupon_twice_and_in_any_spelling_counts_once():
    c = cart(line(1, "100.00"))
    c10 = coupon("SAVE10")
    once = price(c, ["SAVE10"], c10)
    assert price(c, ["SAVE10", "save10", " SAVE 10 "], c10) == once


def test_past_terms_are_copied_by_value():
    c10 = coupon("SAVE10", min_subtotal=Decimal("50"))
    terms = c10.terms()
    assert terms["code"] == "SAVE10" and terms["value"] == "10" and terms["min_subtotal"] == "50"
    import json

    json.dumps(terms)  # JSON-ready
