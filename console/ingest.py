"""Incremental ingestion of Rasa's SQL tracker store into the console's summary tables.

Rasa appends one row per event to ``events`` (``console.tracker``) with an increasing
integer id. The console keeps the last id it has read in ``ingest_state`` and, on each run,
reads only rows above it, in batches, folding them (``console.summaries``) into
per-conversation summaries, searchable facets, NLU inbox candidates and CSAT ratings. The
new high-water mark is written in the same console transaction as the summaries
(``console.ingest_store``), so a crash never counts an event twice or skips one.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, inspect, select
from sqlalchemy.engine import Engine

from console import db, ingest_store
from console.summaries import DEFAULT_LANGUAGES, Batch, Summary, fold_event
from console.tracker import tracker_events
from console.training import TrainingIndex
from shop.clock import from_timestamp

__all__ = ["IngestResult", "Ingestor", "SOURCE"]

logger = logging.getLogger(__name__)

#: The ``ingest_state`` row of the tracker store.
SOURCE = "tracker"


@dataclass
class IngestResult:
    """What a run read: events, conversations touched, new inbox messages, the mark reached."""

    events: int = 0
    conversations: int = 0
    inbox_added: int = 0
    last_event_id: int = 0


class Ingestor:
    """Reads new tracker events into the console DB; safe to call from a timer and on demand."""

    def __init__(
        self,
        console: Engine,
        tracker: Engine,
        training: TrainingIndex | None = None,
        batch_size: int = 5000,
        languages: Sequence[str] = DEFAULT_LANGUAGES,
    ) -> None:
        self.console = console
        self.tracker = tracker
        self.training = training
        self.batch_size = batch_size
        #: the shop's languages (SHOP_LANGUAGES), its default first: see console.languages
        self.languages = tuple(languages)

    def run(self, max_batches: int | None = None) -> IngestResult:
        """Ingest until the tracker store has nothing newer (or ``max_batches`` were read)."""
        total = IngestResult(last_event_id=self.last_event_id())
        if not self._tracker_ready():
            return total
        known = self.training.get().texts if self.training is not None else frozenset()
        batches = 0
        while max_batches is None or batches < max_batches:
            result = self._one_batch(known)
            batches += 1
            total.events += result.events
            total.conversations += result.conversations
            total.inbox_added += result.inbox_added
            total.last_event_id = result.last_event_id or total.last_event_id
            if result.events < self.batch_size:
                break
        if total.events:
            logger.info(
                "ingested events=%d conversations=%d inbox_added=%d last_id=%d",
                total.events,
                total.conversations,
                total.inbox_added,
                total.last_event_id,
            )
        return total

    def last_event_id(self) -> int:
        """The id of the last tracker event already ingested."""
        with self.console.connect() as conn:
            return ingest_store.last_event_id(conn, SOURCE)

    def _tracker_ready(self) -> bool:
        with self.tracker.connect() as conn:
            return bool(inspect(conn).has_table(tracker_events.name))

    def _read(self, after_id: int) -> list[Any]:
        e = tracker_events.c
        with self.tracker.connect() as conn:
            return list(
                conn.execute(
                    select(e.id, e.sender_id, e.type_name, e.timestamp, e.data)
                    .where(e.id > after_id)
                    .order_by(e.id)
                    .limit(self.batch_size)
                ).all()
            )

    def _one_batch(self, known: frozenset[str]) -> IngestResult:
        last = self.last_event_id()
        rows = self._read(last)
        if not rows:
            return IngestResult(last_event_id=last)
        by_sender: dict[str, list[Any]] = defaultdict(list)
        for row in rows:
            by_sender[row.sender_id].append(row)
        new_last = int(rows[-1].id)
        batch = Batch()
        with self.console.begin() as conn:
            summaries = ingest_store.load_summaries(conn, list(by_sender))
            for sender, events in by_sender.items():
                first_at = from_timestamp(events[0].timestamp)
                summary = summaries.setdefault(sender, Summary(sender, first_at, first_at))
                for row in events:
                    fold_event(summary, row, batch, known, self.languages)
            ingest_store.save_summaries(conn, summaries.values(), batch.facets)
            added = ingest_store.save_candidates(conn, batch.candidates)
            if batch.ratings:
                conn.execute(insert(db.csat_ratings), batch.ratings)
            ingest_store.set_last_event_id(conn, SOURCE, new_last)
        return IngestResult(len(rows), len(by_sender), added, new_last)
