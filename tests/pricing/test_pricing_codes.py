import pytest

from shop.pricing.codes import MAX_CODE_LENGTH, display_code, normalize_code
from shop.pricing.rejections import Reason
from tests.pricing.builders import cart, coupon, line, price


@pytest.mark.parametrize(
    "typed",
    ["SAVE10", "save10", "  save10 ", "SAVE 10", "s a v e 1 0", "Save\t10\n", "ＳＡＶＥ１０"],
)
def test_lower_case_spaced_and_full_width_codes_normalise(typed):
    assert normalize_code(typed) == "SAVE10"


@pytest.mark.parametrize(
    "typed",
    [
        "SАVE10",  # Cyrillic A
        "ЅAVE10",  # Cyrillic DZE, looks like S
        "SAVE1０" + "\u200b",  # zero-width space is not whitespace to regex but not ASCII
        "SAVE10🎉",
        "SAVE10;DROP TABLE coupons",
        "",
        "   ",
        "A" * (MAX_CODE_LENGTH + 1),
        "X" * 10_240,
        "SAVE%10",
    ],
)
def test_not_a_code(typed):
    assert normalize_code(typed) is None


def test_display_code_is_short_and_printable():
    shown = display_code("x\x00" * 5000)
    assert len(shown) <= MAX_CODE_LENGTH + 1 and shown.endswith("…")
    assert "\x00" not in shown


@pytest.mark.parametrize("typed", ["SАVE10", "S" * 10_240, "save10!!", "\u0000"])
def test_malformed_codes_are_answered_like_unknown_ones(typed):
    c = cart(line(1, "80.00"))
    save10 = coupon("SAVE10")
    malformed = price(c, [typed], save10).rejections
    unknown = price(c, ["NOSUCHCODE"], save10).rejections
    assert [r.reason for r in malformed] == [Reason.UNKNOWN_CODE.value]
    assert malformed[0].message == unknown[0].message
    assert "SAVE10" not in malformed[0].message
    assert len(malformed[0].code) <= MAX_CODE_LENGTH + 1


def test_lower_case_and_spaced_codes_apply_like_the_canonical_one():
    c = cart(line(1, "80.00"))
    save10 = coupon("SAVE10")
    assert price(c, ["save 10"], save10) == price(c, ["SAVE10"], save10)
    assert price(c, ["save 10"], save10).applied_codes == ("SAVE10",)
