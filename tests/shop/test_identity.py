from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shop.db.models import LookupAttempt
from shop.identity import IdentityService, Verification
from tests.conftest import FIXED_NOW


def attempts(db) -> int:
    with db.sessions.begin() as s:
        return s.scalar(select(func.count()).select_from(LookupAttempt))


def test_verification_ok_with_matching_email_any_case(seeded_db, demo, settings):
    number, email, customer_id = (
        demo["delivered_recent"].order_number,
        demo["delivered_recent"].email,
        demo["delivered_recent"].customer_id,
    )
    result = IdentityService(seeded_db.sessions, settings).verify("s1", number, email.upper(), now=FIXED_NOW)
    assert result == Verification(True, customer_id, None, settings.lookup_max_failures)


def test_wrong_email_and_unknown_order_give_the_same_answer(seeded_db, demo, settings):
    identity = IdentityService(seeded_db.sessions, settings)
    wrong_email = identity.verify("a", demo["shipped"].order_number, "someone@example.com", now=FIXED_NOW)
    unknown = identity.verify("b", "999999", demo["shipped"].email, now=FIXED_NOW)
    assert wrong_email == unknown == Verification(False, None, None, settings.lookup_max_failures - 1)


def test_lockout_after_three_failures_then_unlock_after_window(seeded_db, demo, settings):
    identity = IdentityService(seeded_db.sessions, settings)
    order = demo["shipped"]
    for i in range(3):
        result = identity.verify(
            "s", order.order_number, "wrong@example.com", now=FIXED_NOW + timedelta(minutes=i)
        )
    assert not result.ok and result.failures_left == 0
    expected_unlock = FIXED_NOW + timedelta(minutes=settings.lookup_lock_minutes)
    assert result.locked_until == expected_unlock

    before = attempts(seeded_db)
    locked = identity.verify("s", order.order_number, order.email, now=FIXED_NOW + timedelta(minutes=5))
    assert locked == Verification(False, None, expected_unlock, 0)  # right answer refused while locked
    assert attempts(seeded_db) == before  # and not recorded
    assert identity.locked_until("s", now=FIXED_NOW + timedelta(minutes=5)) == expected_unlock
    assert identity.locked_until("other", now=FIXED_NOW + timedelta(minutes=5)) is None

    later = identity.verify("s", order.order_number, order.email, now=expected_unlock + timedelta(minutes=3))
    assert later.ok and later.customer_id == order.customer_id


def test_success_does_not_reset_the_failure_count(seeded_db, demo, settings):
    identity = IdentityService(seeded_db.sessions, settings)
    order = demo["shipped"]
    identity.verify("s", order.order_number, "x@example.com", now=FIXED_NOW)
    identity.verify("s", order.order_number, order.email, now=FIXED_NOW + timedelta(seconds=1))
    identity.verify("s", order.order_number, "y@example.com", now=FIXED_NOW + timedelta(seconds=2))
    third = identity.verify("s", "999999", "z@example.com", now=FIXED_NOW + timedelta(seconds=3))
    assert third.locked_until is not None


@pytest.mark.parametrize(
    "number,email",
    [
        ("104523' OR '1'='1", "alex.morgan@example.com"),
        ("104523", "alex.morgan@example.com' OR '1'='1"),
        ("1" * 20_000, "alex.morgan@example.com"),
        ("104523", "a" * 20_000 + "@example.com"),
        (None, None),
    ],
)
def test_malformed_or_hostile_input_is_refused_without_a_record(seeded_db, settings, number, email):
    identity = IdentityService(seeded_db.sessions, settings)
    before = attempts(seeded_db)
    result = identity.verify("s" * 20_000, number, email, now=FIXED_NOW)
    assert not result.ok and result.customer_id is None
    assert attempts(seeded_db) == before


def test_customer_owns_order(seeded_db, demo, settings):
    identity = IdentityService(seeded_db.sessions, settings)
    alex, sam = demo["delivered_recent"], demo["delivered_old"]
    assert identity.customer_owns_order(alex.customer_id, f"#{alex.order_number}")
    assert not identity.customer_owns_order(sam.customer_id, alex.order_number)
    assert not identity.customer_owns_order(alex.customer_id, "' OR 1=1 --")
