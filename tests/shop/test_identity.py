from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from shop.db.models import LookupAttempt, Order
from shop.db.session import make_engine, make_sessionmaker
from shop.identity import IdentityService, Verification, lookup_key
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


# -- counted across senders, channels and orders ----------------------------------------------


def unknown_number(db, start: int = 999_999) -> str:
    """A six-digit number no seeded order has."""
    with db.sessions.begin() as s:
        taken = set(s.scalars(select(Order.order_number)))
    return next(str(n) for n in range(start, 100_000, -1) if str(n) not in taken)


def test_order_locked_across_senders_even_for_the_right_email(seeded_db, demo, settings):
    identity = IdentityService(seeded_db.sessions, settings)
    order = demo["shipped"]
    for i in range(settings.lookup_max_failures_per_order):
        identity.verify(f"rotating-{i}", order.order_number, f"guess{i}@example.com", now=FIXED_NOW)
    before = attempts(seeded_db)
    later = FIXED_NOW + timedelta(minutes=1)
    result = identity.verify("eleventh", order.order_number, order.email, now=later)
    assert result == Verification(False, None, FIXED_NOW + timedelta(minutes=settings.lookup_lock_minutes), 0)
    assert attempts(seeded_db) == before
    by_order = identity.locked_until("eleventh", now=later, order_number=order.order_number)
    assert by_order == result.locked_until
    assert identity.locked_until("eleventh", now=later) is None  # the conversation itself is not locked


def test_unknown_order_is_locked_exactly_like_a_real_one(seeded_db, demo, settings):
    identity = IdentityService(seeded_db.sessions, settings)
    real, unknown = demo["processing"].order_number, unknown_number(seeded_db)
    answers = {}
    for number in (real, unknown):
        seen = [
            identity.verify(f"{number}-{i}", number, f"g{i}-{number}@example.com", now=FIXED_NOW)
            for i in range(settings.lookup_max_failures_per_order + 1)
        ]
        answers[number] = seen
    assert answers[real] == answers[unknown]
    assert answers[real][-1].locked_until is not None


def test_one_email_tried_against_many_orders_is_locked(seeded_db, demo, settings):
    identity = IdentityService(seeded_db.sessions, settings)
    victim = demo["delivered_recent"]
    start = 999_999
    for i in range(settings.lookup_max_failures_per_email):
        number = unknown_number(seeded_db, start)
        start = int(number) - 1
        identity.verify(f"probe-{i}", number, victim.email, now=FIXED_NOW, source=f"198.51.100.{i}")
    found = identity.verify("probe-x", victim.order_number, victim.email, now=FIXED_NOW, source="192.0.2.1")
    assert not found.ok and found.locked_until is not None and found.customer_id is None


def test_one_source_is_locked_across_conversations_orders_and_emails(seeded_db, settings):
    settings = replace(settings, lookup_max_failures_per_source=5)
    identity = IdentityService(seeded_db.sessions, settings)
    start = 999_999
    for i in range(5):
        number = unknown_number(seeded_db, start)
        start = int(number) - 1
        result = identity.verify(f"nat-{i}", number, f"n{i}@example.com", now=FIXED_NOW, source="203.0.113.7")
    assert result.locked_until is not None
    number = unknown_number(seeded_db, start)
    locked = identity.verify("nat-x", number, "x@example.com", now=FIXED_NOW, source="203.0.113.7")
    assert locked.failures_left == 0
    other = identity.verify("nat-y", number, "y@example.com", now=FIXED_NOW, source="203.0.113.8")
    assert other.locked_until is None and other.failures_left > 0


def test_exempt_source_is_not_counted_per_source(seeded_db, settings):
    settings = replace(settings, lookup_max_failures_per_source=1, lookup_exempt_sources=("127.0.0.1",))
    identity = IdentityService(seeded_db.sessions, settings)
    assert not identity.source_counted("127.0.0.1") and not identity.source_counted("rest:127.0.0.1")
    assert identity.source_counted("127.0.0.2") and not identity.source_counted(None)
    identity.verify("e1", "999999", "e1@example.com", now=FIXED_NOW, source="127.0.0.1")
    second = identity.verify("e2", "999998", "e2@example.com", now=FIXED_NOW, source="127.0.0.1")
    assert second.locked_until is None


def test_attempts_hold_no_order_number_email_or_address_in_clear(seeded_db, demo, settings):
    identity = IdentityService(seeded_db.sessions, settings, key_secret="k" * 32)
    order = demo["shipped"]
    identity.verify("clear", order.order_number, "Someone.Else@Example.com", now=FIXED_NOW, source="10.1.2.3")
    with seeded_db.sessions.begin() as s:
        row = s.scalars(select(LookupAttempt).where(LookupAttempt.sender_id == "clear")).one()
        stored = f"{row.order_key} {row.email_key} {row.source_key}"
    assert row.order_key and row.email_key and row.source_key
    assert order.order_number not in stored and "someone" not in stored.lower() and "10.1.2.3" not in stored
    assert row.email_key == lookup_key("email", "someone.else@example.com", "k" * 32)  # normalized first
    assert row.email_key != lookup_key("email", "someone.else@example.com", "another key" * 3)


def test_concurrent_guesses_on_one_order_are_bounded(seeded_db, demo, settings):
    identity = IdentityService(seeded_db.sessions, settings)
    order = demo["pending"]
    key = lookup_key("order", order.order_number)

    def guess(i: int) -> Verification:
        return identity.verify(f"par-{i}", order.order_number, f"par{i}@example.com", now=FIXED_NOW)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(guess, range(16)))
    with seeded_db.sessions.begin() as s:
        checked = s.scalar(
            select(func.count())
            .select_from(LookupAttempt)
            .where(LookupAttempt.order_key == key, LookupAttempt.succeeded.is_(False))
        )
    assert checked <= settings.lookup_max_failures_per_order
    assert not any(r.ok for r in results)
    assert identity.verify("par-x", order.order_number, order.email, now=FIXED_NOW).locked_until is not None


def test_many_shoppers_proving_one_order_at_once_are_all_let_in(seeded_db, demo, settings):
    """Checks in flight hold others back a moment; they never count as failures."""
    identity = IdentityService(seeded_db.sessions, settings)
    order = demo["shipped"]

    def prove(i: int) -> Verification:
        return identity.verify(f"crowd-{i}", order.order_number, order.email, now=FIXED_NOW)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(prove, range(24)))
    assert [r.ok for r in results] == [True] * 24
    assert identity.locked_until("crowd-0", order_number=order.order_number, now=FIXED_NOW) is None
    with seeded_db.sessions.begin() as s:
        left = s.scalar(
            select(func.count()).select_from(LookupAttempt).where(LookupAttempt.pending.is_(True))
        )
    assert left == 0


def test_a_check_left_in_flight_by_a_dead_process_still_bounds_guesses(seeded_db, demo, settings):
    """Rows stuck in flight (the process died mid-check) are no free tries: after the wait
    they refuse like failures, and they never lock the order by themselves."""
    identity = IdentityService(seeded_db.sessions, settings)
    order = demo["processing"]
    key = lookup_key("order", order.order_number)
    with seeded_db.sessions.begin() as s:
        for i in range(settings.lookup_max_failures_per_order):
            s.add(
                LookupAttempt(
                    sender_id=f"dead-{i}", created_at=FIXED_NOW, succeeded=False, pending=True, order_key=key
                )
            )
    assert identity.locked_until("x", order_number=order.order_number, now=FIXED_NOW) is None
    refused = identity.verify("x", order.order_number, order.email, now=FIXED_NOW)
    assert not refused.ok and refused.locked_until is not None


def test_counter_store_down_raises_so_callers_refuse(settings):
    engine = make_engine("postgresql://shop@127.0.0.1:1/shop")
    identity = IdentityService(make_sessionmaker(engine), settings)
    with pytest.raises(SQLAlchemyError):
        identity.verify("down", "104523", "alex.morgan@example.com")
    with pytest.raises(SQLAlchemyError):
        identity.locked_until("down", order_number="104523")
    engine.dispose()
