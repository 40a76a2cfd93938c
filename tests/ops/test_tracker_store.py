"""ops.tracker_store: the SQLite tracker store keeps conversations, pooled and in WAL mode.

Rasa's own SQLite engine opened a connection per retrieve/save and fsynced each save
(docs/performance.md); these tests check the faster engine still stores what Rasa stores,
and that a second store on the same file (another Rasa process) reads it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.pool import QueuePool

from ops.tracker_store import EnvSQLTrackerStore


def _store(path: Path) -> EnvSQLTrackerStore:
    return EnvSQLTrackerStore(Domain.empty(), dialect="sqlite", host="", port="", db=str(path))


def test_sqlite_store_is_pooled_wal_without_fsync_per_commit(tmp_path: Path) -> None:
    store = _store(tmp_path / "tracker.db")
    assert isinstance(store.engine.pool, QueuePool)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_saved_conversation_reads_back_in_this_and_another_store(tmp_path: Path) -> None:
    path = tmp_path / "tracker.db"
    store, other = _store(path), _store(path)
    tracker = DialogueStateTracker("rest:shopper-1", slots=[])
    for event in (UserUttered("hello"), ActionExecuted("utter_greet"), BotUttered("Hi!")):
        tracker.update(event)

    async def roundtrip() -> None:
        await store.save(tracker)
        tracker.update(ActionExecuted("action_listen"))
        await store.save(tracker)
        for reader in (store, other):
            again = await reader.retrieve("rest:shopper-1")
            assert again is not None
            assert [type(e).__name__ for e in again.events] == [
                "UserUttered",
                "ActionExecuted",
                "BotUttered",
                "ActionExecuted",
            ]

    asyncio.run(roundtrip())
