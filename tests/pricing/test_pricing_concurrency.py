"""Races on real PostgreSQL, with threads: usage limits hold, retries stay idempotent."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from shop.db.pricing_models import CouponRedemption, CouponRow
from tests.pricing.conftest import NOW

pytestmark = pytest.mark.postgres


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at the same moment in threads; returns results (or exceptions)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, fn: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[i] = fn()
        except Exception as exc:  # pragma: no cover - reported by the assertions
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def counts(shop, code: str) -> tuple[int, int]:
    with shop.sessions() as s:
        coupon = s.scalars(select(CouponRow).where(CouponRow.code == code)).one()
        active = s.scalar(
            select(func.count(CouponRedemption.id)).where(
                CouponRedemption.coupon_id == coupon.id, CouponRedemption.released_at.is_(None)
            )
        )
        return coupon.usage_count, int(active or 0)


@pytest.mark.parametrize("round_", range(5))
def test_two_conversations_race_for_the_last_use_exactly_one_wins(pg_shop, round_):
    code = f"LAST{round_}"
    pg_shop.coupon(code, usage_limit=3, usage_count=2)
    a = pg_shop.order(pg_shop.alice, [(pg_shop.tent, 1)])
    b = pg_shop.order(pg_shop.bob, [(pg_shop.tent, 1)])
    svc = pg_shop.service
    results = race(
        lambda: svc.redeem(a, [code], pg_shop.alice, NOW),
        lambda: svc.redeem(b, [code], pg_shop.bob, NOW),
    )
    assert not any(isinstance(r, Exception) for r in results), results
    assert sorted(r.ok for r in results) == [False, True]
    [loser] = [r for r in results if not r.ok]
    assert [x.reason for x in loser.rejections] == ["limit_reached"]
    assert counts(pg_shop, code) == (3, 1)


def test_many_threads_never_exceed_the_limit(pg_shop):
    pg_shop.coupon("FEW", kind="fixed", value=Decimal("5"), usage_limit=3)
    people = [pg_shop.alice, pg_shop.bob, pg_shop.carol] * 3
    orders = [(pg_shop.order(who, [(pg_shop.mug, 1)]), who) for who in people]
    svc = pg_shop.service
    results = race(*[(lambda o=o, w=w: svc.redeem(o, ["FEW"], w, NOW)) for o, w in orders])
    assert not any(isinstance(r, Exception) for r in results), results
    assert sum(r.ok for r in results) == 3
    assert counts(pg_shop, "FEW") == (3, 3)


def test_same_customer_racing_two_orders_gets_one_use(pg_shop):
    pg_shop.coupon("ONCEEACH", per_customer_limit=1)
    first = pg_shop.order(pg_shop.alice, [(pg_shop.tent, 1)])
    second = pg_shop.order(pg_shop.alice, [(pg_shop.tent, 1)])
    svc = pg_shop.service
    results = race(
        lambda: svc.redeem(first, ["ONCEEACH"], pg_shop.alice, NOW),
        lambda: svc.redeem(second, ["ONCEEACH"], pg_shop.alice, NOW),
    )
    assert not any(isinstance(r, Exception) for r in results), results
    assert sorted(r.ok for r in results) == [False, True]
    [loser] = [r for r in results if not r.ok]
    assert [x.reason for x in loser.rejections] == ["already_used_by_customer"]
    assert counts(pg_shop, "ONCEEACH") == (1, 1)


def test_concurrent_retries_for_one_order_redeem_once(pg_shop):
    pg_shop.coupon("SAVE10", usage_limit=100)
    order = pg_shop.order(pg_shop.alice, [(pg_shop.tent, 1)])
    svc = pg_shop.service
    results = race(*[(lambda: svc.redeem(order, ["SAVE10"], pg_shop.alice, NOW)) for _ in range(4)])
    assert not any(isinstance(r, Exception) for r in results), results
    assert all(r.ok for r in results)
    assert sum(not r.replayed for r in results) == 1
    assert counts(pg_shop, "SAVE10") == (1, 1)


def test_release_racing_itself_gives_back_one_use(pg_shop):
    pg_shop.coupon("BACK", usage_limit=5)
    order = pg_shop.order(pg_shop.alice, [(pg_shop.tent, 1)])
    svc = pg_shop.service
    assert svc.redeem(order, ["BACK"], pg_shop.alice, NOW).ok
    results = race(*[(lambda: svc.release(order, NOW)) for _ in range(3)])
    assert sorted(results) == [0, 0, 1]
    assert counts(pg_shop, "BACK") == (0, 0)
