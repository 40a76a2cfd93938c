"""SqlAttemptLog (statements built once, bound values) reads and writes exactly what statements
built per call do: :class:`RebuiltAttemptLog` below is the log as it was before, the oracle."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import sessionmaker

from shop.db.models import LookupAttempt
from shop.identity import SCOPES
from shop.ratelimit import Key, Limit, SqlAttemptLog, Window
from tests.conftest import FIXED_NOW


class RebuiltAttemptLog(SqlAttemptLog):
    """Every statement built anew per call, in an ORM session (the log before stop 21)."""

    def add(self, keys: Sequence[Key], now: datetime, values: Mapping[str, Any]) -> int:
        row: dict[str, Any] = {self._scopes[key.scope]: key.value for key in keys}
        row.update(values)
        row[self._time.name] = now
        with self._sessions.begin() as s:
            return int(s.execute(insert(self.table).values(**row)).inserted_primary_key[0])

    def window(self, key: Key, now: datetime, handle: Any = None) -> Window:
        limit = key.limit
        query = select(self._time).where(
            self._column(key) == key.value, self._time > now - limit.window, self._time <= now
        )
        if self._counted is not None:
            query = query.where(self._counted)
        if handle is not None:
            query = query.where(self._id <= handle)
        with self._sessions.begin() as s:
            times = list(s.scalars(query.order_by(self._time.desc(), self._id.desc()).limit(limit.count + 1)))
        if len(times) < limit.count:
            return Window(len(times))
        hold = timedelta(seconds=limit.lock_seconds) if limit.lock_seconds else limit.window
        return Window(len(times), times[limit.count - 1] + hold)


VALUES = {"sender": ["s1", "s2", "s3"], "order": ["o1", "o2"], "email": ["e1", "e2"], "source": ["x1"]}


def _seed(log: SqlAttemptLog, rng: random.Random, rows: int) -> list[int]:
    """Random attempts (several per key and second, some settled, some in flight) via ``log.add``."""
    handles = []
    for _ in range(rows):
        keys = [
            Key(scope, rng.choice(values), Limit(1)) for scope, values in VALUES.items() if rng.random() < 0.8
        ]
        at = FIXED_NOW - timedelta(seconds=rng.randrange(0, 1200))
        values = {"sender_id": rng.choice(VALUES["sender"]), "succeeded": rng.random() < 0.4,
                  "pending": rng.choice([True, None])}  # fmt: skip
        handles.append(log.add(keys, at, values))
    return handles


def _by_mapper(db) -> sessionmaker:  # type: ignore[no-untyped-def]
    """The same database through sessions bound per table: no engine to run Core on."""
    return sessionmaker(binds={LookupAttempt: db.sessions.kw["bind"]}, future=True)


@pytest.mark.parametrize("factory", ["engine", "sessions"])
def test_prepared_windows_equal_windows_of_statements_built_per_call(db, factory: str) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(13)
    failed = LookupAttempt.succeeded.is_(False)
    sessions = db.sessions if factory == "engine" else _by_mapper(db)
    pairs = [
        (RebuiltAttemptLog(db.sessions, LookupAttempt, SCOPES, counted=c),
         SqlAttemptLog(sessions, LookupAttempt, SCOPES, counted=c))
        for c in (None, failed, failed & LookupAttempt.pending.isnot(True))
    ]  # fmt: skip
    assert (pairs[0][1]._engine is None) == (factory == "sessions")
    handles = _seed(pairs[0][1], rng, 120)
    limits = [Limit(1, 60), Limit(3, 300), Limit(5, 900), Limit(20, 900), Limit(2, 600, lock_seconds=1800)]
    compared = locked = 0
    for _ in range(300):
        scope = rng.choice(list(VALUES))
        key = Key(scope, rng.choice(VALUES[scope]), rng.choice(limits))
        now = FIXED_NOW - timedelta(seconds=rng.randrange(0, 900))
        handle = rng.choice([None, *handles])
        for plain, prepared in pairs:
            expected = plain.window(key, now, handle)
            assert prepared.window(key, now, handle) == expected, (key, now, handle)
            compared += 1
            locked += expected.frees_at is not None
    assert compared == 900 and 0 < locked < compared  # both kinds of window were compared


def test_prepared_add_stores_the_row_a_statement_built_per_call_stores(db) -> None:  # type: ignore[no-untyped-def]
    plain = RebuiltAttemptLog(db.sessions, LookupAttempt, SCOPES)
    prepared = SqlAttemptLog(db.sessions, LookupAttempt, SCOPES)
    keys = [Key("sender", "s9", Limit(3)), Key("order", "o9", Limit(3)), Key("source", "x9", Limit(3))]
    values = {"sender_id": "s9", "succeeded": False, "pending": True}
    first, second = plain.add(keys, FIXED_NOW, values), prepared.add(keys, FIXED_NOW, values)
    assert second == first + 1
    columns = [c for c in LookupAttempt.__table__.c if c.name != "id"]
    with db.sessions.begin() as s:
        rows = s.execute(select(*columns).where(LookupAttempt.id.in_([first, second]))).all()
    assert len(rows) == 2 and rows[0] == rows[1]
    prepared.remove(second)
    assert prepared.window(keys[1], FIXED_NOW) == plain.window(keys[1], FIXED_NOW)
