"""ops.tracker_window on short sessions: Rasa's trackers and rows, with fewer queries.

A short session is read once (not again by Rasa's ``_retrieve``), and a tracker that knows
how many of its events are stored (loaded, or just created and saved) is saved without
Rasa's count of the stored events. Both stores below do the same conversation on their own
file: Rasa's ``SQLTrackerStore`` and this project's; the trackers and the stored rows must
be the same.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import List, Tuple

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import event, text

from harness.paths import ROOT
from ops.tracker_store import EnvSQLTrackerStore

DOMAIN = Domain.load(str(ROOT / "domain.yml"))


def _turn(i: int) -> list:
    t = 1_000_000.0 + 10 * i
    return [
        UserUttered(f"message {i}", {"name": "greet", "confidence": 1.0}, timestamp=t),
        SlotSet("email", f"s{i}@example.com", timestamp=t + 1),
        ActionExecuted("utter_greet", timestamp=t + 2),
        BotUttered(f"Hi {i}", metadata={"utter_action": "utter_greet"}, timestamp=t + 3),
        ActionExecuted("action_listen", timestamp=t + 4),
    ]


def _statements(store: SQLTrackerStore) -> List[str]:
    seen: List[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *a: seen.append(a[2].lower()))
    return seen


def _dicts(tracker: DialogueStateTracker) -> Tuple[str, ...]:
    return tuple(json.dumps(e.as_dict(), sort_keys=True) for e in tracker.events)


async def _conversation(store: SQLTrackerStore, turns: int) -> List[Tuple[str, ...]]:
    """Create, then per turn: retrieve, add a turn, save; a second session at the end."""
    history = []
    tracker = await store.get_or_create_tracker("rest:s1", append_action_listen=True)
    for i in range(turns):
        tracker = await store.get_or_create_tracker("rest:s1")
        history.append(_dicts(tracker))
        for e in _turn(i):
            tracker.update(e)
        if i == turns - 2:
            tracker.update(SessionStarted(timestamp=2_000_000.0))
            tracker.update(ActionExecuted("action_listen", timestamp=2_000_000.5))
        await store.save(tracker)
    final = await store.retrieve("rest:s1")
    assert final is not None
    history.append(_dicts(final))
    return history


def _rows(store: SQLTrackerStore) -> list:
    with store.engine.connect() as conn:
        query = text("SELECT sender_id, type_name, timestamp, data FROM events ORDER BY id")
        return conn.execute(query).all()


def test_short_sessions_load_and_store_as_rasas_store_with_fewer_queries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("time.time", lambda: 1_500_000.0)  # the new tracker's first event
    rasa = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "rasa.db"))
    ours = EnvSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "ours.db"))
    assert ours.window_events > 6 * 5  # every session here is short
    rasa_sql, our_sql = _statements(rasa), _statements(ours)
    expected = asyncio.run(_conversation(rasa, 6))
    assert asyncio.run(_conversation(ours, 6)) == expected
    counts = [s for s in rasa_sql if "count(" in s], [s for s in our_sql if "count(" in s]
    # Rasa counts the stored events before each save; ours never (a new tracker has none stored)
    assert (len(counts[0]), len(counts[1])) == (7, 0)
    reads = [sum(s.startswith("select") and "count(" not in s for s in sql) for sql in (rasa_sql, our_sql)]
    assert reads == [8, 8]  # one query per retrieve, as Rasa (the bounded check's query is the read)
    assert _rows(ours) == _rows(rasa) and len(_rows(rasa)) > 30


def test_a_tracker_with_unreadable_stored_events_takes_rasas_count(tmp_path: Path) -> None:
    ours = EnvSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "ours.db"))

    async def run() -> DialogueStateTracker:
        tracker = await ours.get_or_create_tracker("rest:s2")
        for e in _turn(0):
            tracker.update(e)
        await ours.save(tracker)
        with ours.engine.begin() as conn:  # an old event Rasa reads back as nothing ("topic")
            conn.execute(text('UPDATE events SET data = \'{"event": "topic"}\' WHERE id = 2'))
        again = await ours.retrieve("rest:s2")
        assert again is not None
        return again

    again = asyncio.run(run())
    assert not hasattr(again, "_shop_stored_events")  # fewer events than rows: Rasa's own count
