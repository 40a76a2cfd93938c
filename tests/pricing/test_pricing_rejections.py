"""One row per rejection reason, plus the documented precedence between them."""

from datetime import timedelta
from decimal import Decimal

import pytest

from shop.pricing import CHECK_ORDER, Reason
from tests.pricing.builders import NOW, cart, coupon, customer, line, price, scope

OUTDOOR = cart(line(1, "30.00", category="Tents", ancestors=("Outdoor",)))
ANON = None


CASES = [
    # (reason, coupon, cart, customer, params subset, words in the sentence)
    (Reason.UNKNOWN_CODE, None, OUTDOOR, ANON, {}, "recognise"),
    (Reason.INACTIVE, coupon("OFF", active=False), OUTDOOR, ANON, {}, "not active"),
    (
        Reason.NOT_STARTED,
        coupon("SOON", starts_at=NOW + timedelta(days=3)),
        OUTDOOR,
        ANON,
        {"starts_at": (NOW + timedelta(days=3)).isoformat()},
        "4 June 2024",
    ),
    (
        Reason.EXPIRED,
        coupon("OLD", expires_at=NOW - timedelta(days=1)),
        OUTDOOR,
        ANON,
        {"expired_at": (NOW - timedelta(days=1)).isoformat()},
        "expired on 31 May 2024",
    ),
    (
        Reason.LIMIT_REACHED,
        coupon("GONE", usage_limit=5, usage_count=5),
        OUTDOOR,
        ANON,
        {"limit": 5},
        "maximum",
    ),
    (
        Reason.LIMIT_REACHED,
        coupon("ONCE", single_use=True, usage_count=1),
        OUTDOOR,
        ANON,
        {"limit": 1},
        "maximum",
    ),
    (
        Reason.ALREADY_USED_BY_CUSTOMER,
        coupon("MINE", id=7, per_customer_limit=1),
        OUTDOOR,
        customer(uses={7: 1}),
        {"limit": 1},
        "once per customer",
    ),
    (Reason.SIGN_IN_REQUIRED, coupon("MEMBERS", requires_customer=True), OUTDOOR, ANON, {}, "sign in"),
    (Reason.SIGN_IN_REQUIRED, coupon("WELCOME15", first_order_only=True), OUTDOOR, ANON, {}, "sign in"),
    (
        Reason.FIRST_ORDER_ONLY,
        coupon("WELCOME15", first_order_only=True),
        OUTDOOR,
        customer(orders=2),
        {},
        "first order",
    ),
    (
        Reason.MIN_SUBTOTAL_NOT_MET,
        coupon("SAVE10", min_subtotal=Decimal("42.30")),
        OUTDOOR,
        ANON,
        {"min_subtotal": "42.30", "subtotal": "30.00", "missing": "12.30"},
        "spend $12.30 more",
    ),
    (
        Reason.MIN_QUANTITY_NOT_MET,
        coupon("MULTI", min_quantity=3),
        OUTDOOR,
        ANON,
        {"min_quantity": 3, "quantity": 1, "missing": 2},
        "add 2 more items",
    ),
    (
        Reason.NO_ELIGIBLE_ITEMS,
        coupon("SHOES", scope=scope(include_categories={"Footwear"})),
        OUTDOOR,
        ANON,
        {"applies_to": "Footwear"},
        "applies to Footwear",
    ),
    (
        Reason.NO_ELIGIBLE_ITEMS,
        coupon("NOTENTS", scope=scope(exclude_categories={"outdoor"})),
        OUTDOOR,
        ANON,
        {},
        "nothing in the cart",
    ),
]


@pytest.mark.parametrize(
    "reason,cpn,c,who,params,words", CASES, ids=[f"{c[0].value}-{i}" for i, c in enumerate(CASES)]
)
def test_each_rejection_reason(reason, cpn, c, who, params, words):
    code = cpn.code if cpn else "NOPE"
    q = price(c, [code], *([cpn] if cpn else []), who=who)
    assert q.applied == ()
    assert len(q.rejections) == 1
    r = q.rejections[0]
    assert r.reason == reason.value
    for key, value in params.items():
        assert r.params[key] == value
    assert words in r.message
    assert q.total == q.subtotal  # a refused code changes nothing


def test_not_combinable_keeps_the_better_exclusive_code():
    c = cart(line(1, "100.00"))
    q = price(c, ["SAVE10", "SAVE20"], coupon("SAVE10"), coupon("SAVE20", value="20"))
    assert q.applied_codes == ("SAVE20",)
    [r] = q.rejections
    assert (r.code, r.reason, r.params["kept"]) == ("SAVE10", "not_combinable", "SAVE20")
    assert "can't be combined with SAVE20" in r.message


def test_exclusive_code_loses_to_a_better_stack():
    c = cart(line(1, "100.00"))
    items = [
        coupon("TEN", value="10"),
        coupon("A5", "fixed", "5", stackable=True),
        coupon("B7", "fixed", "7", stackable=True),
    ]
    q = price(c, ["TEN", "A5", "B7"], *items)
    assert q.applied_codes == ("A5", "B7")
    assert q.merchandise_total == Decimal("88.00")
    assert [(r.code, r.reason, r.params["kept"]) for r in q.rejections] == [
        ("TEN", "not_combinable", "A5, B7")
    ]


def test_stackable_codes_combine():
    c = cart(line(1, "100.00"))
    q = price(c, ["A5", "P10"], coupon("A5", "fixed", "5", stackable=True), coupon("P10", stackable=True))
    # percentage first, then fixed: 100 - 10 - 5
    assert q.merchandise_total == Decimal("85.00")
    assert q.rejections == ()


def test_checks_run_in_the_documented_order():
    """A coupon failing every check reports the first one, and so on down the list."""
    every_failure = dict(
        active=False,
        starts_at=NOW + timedelta(days=1),
        expires_at=NOW - timedelta(days=1),
        usage_limit=1,
        usage_count=1,
        per_customer_limit=1,
        first_order_only=True,
        min_subtotal=Decimal("1000"),
        min_quantity=50,
        scope=scope(include_categories={"Nothing"}),
    )
    expected = [r for r in CHECK_ORDER if r not in (Reason.UNKNOWN_CODE, Reason.NOT_COMBINABLE)]
    fixes = {
        Reason.INACTIVE: dict(active=True),
        Reason.NOT_STARTED: dict(starts_at=None),
        Reason.EXPIRED: dict(expires_at=None),
        Reason.LIMIT_REACHED: dict(usage_limit=None),
        Reason.ALREADY_USED_BY_CUSTOMER: dict(),  # fixed by signing out: then sign-in is next
        Reason.SIGN_IN_REQUIRED: dict(),
        Reason.FIRST_ORDER_ONLY: dict(first_order_only=False),
        Reason.MIN_SUBTOTAL_NOT_MET: dict(min_subtotal=None),
        Reason.MIN_QUANTITY_NOT_MET: dict(min_quantity=None),
        Reason.NO_ELIGIBLE_ITEMS: dict(scope=scope()),
    }
    fields = dict(every_failure)
    seen = []
    for reason in expected:
        who = customer(orders=3, uses={99: 1})
        if reason is Reason.SIGN_IN_REQUIRED:
            who = None
        q = price(OUTDOOR, ["EVERYTHING"], coupon("EVERYTHING", id=99, **fields), who=who)
        seen.append(q.rejections[0].reason)
        fields.update(fixes[reason])
        if reason is Reason.SIGN_IN_REQUIRED:
            fields["per_customer_limit"] = None
    assert seen == [r.value for r in expected]
    q = price(OUTDOOR, ["EVERYTHING"], coupon("EVERYTHING", id=99, **fields), who=customer(orders=3))
    assert q.applied_codes == ("EVERYTHING",)


def test_unknown_code_message_never_names_existing_codes():
    q = price(OUTDOOR, ["SAVE1"], coupon("SAVE10"), coupon("SAVE100"))
    [r] = q.rejections
    assert r.reason == "unknown_code" and "SAVE10" not in r.message and r.params == {}


def test_expired_boundary_is_exclusive_and_start_inclusive():
    exp = coupon("EDGE", expires_at=NOW)
    assert price(OUTDOOR, ["EDGE"], exp).rejections[0].reason == "expired"
    start = coupon("EDGE", starts_at=NOW)
    assert price(OUTDOOR, ["EDGE"], start).applied_codes == ("EDGE",)


def test_aware_now_is_compared_in_utc():
    from datetime import timezone

    exp = coupon("EDGE", expires_at=NOW + timedelta(hours=1))
    aware = (NOW + timedelta(minutes=30)).replace(tzinfo=timezone.utc)
    assert price(OUTDOOR, ["EDGE"], exp, now=aware).applied_codes == ("EDGE",)
