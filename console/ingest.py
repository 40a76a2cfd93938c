"""Incremental ingestion of Rasa's SQL tracker store into the console's summary tables.

Rasa appends one row per event to ``events`` (see ``rasa.core.tracker_store.SQLTrackerStore``)
with an increasing integer id. The console keeps the last id it has read in ``ingest_state``
and, on each run, reads only rows above it, in batches, folding them into per-conversation
summaries, searchable facets, NLU inbox candidates and CSAT ratings. The new high-water mark
is written in the same console transaction as the summaries, so a crash never counts an
event twice or skips one.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine

from console import db
from console.privacy import mask_text
from console.training import TrainingIndex, normalise

logger = logging.getLogger(__name__)

SOURCE = "tracker"
FALLBACK_ACTIONS = frozenset({"action_two_stage_fallback", "action_default_fallback"})
FALLBACK_INTENT = "nlu_fallback"
HANDOFF_ACTION = "action_handoff"
QUIET_ACTIONS = frozenset({"action_listen", "action_session_start"})
CSAT_SLOT = "csat_score"
SEARCH_TEXT_CHARS = 4000
FACET_CHARS = 255
INBOX_MAX_CHARS = 1000

#: Rasa's events table, described here rather than imported so the console never loads Rasa core.
tracker_metadata = MetaData()
tracker_events = Table(
    "events",
    tracker_metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def ts_to_dt(ts: float | None) -> datetime:
    """A Rasa event timestamp (epoch seconds) as naive UTC, as the console stores times."""
    return datetime.fromtimestamp(float(ts or 0.0), tz=timezone.utc).replace(tzinfo=None)


@dataclass
class IngestResult:
    events: int = 0
    conversations: int = 0
    inbox_added: int = 0
    last_event_id: int = 0


@dataclass
class _Summary:
    """A conversation's summary while a batch is folded into it."""

    sender_id: str
    started_at: datetime
    last_at: datetime
    channel: str = ""
    turns: int = 0
    events: int = 0
    min_confidence: float | None = None
    fallback: bool = False
    fallback_count: int = 0
    handoff: bool = False
    paused: bool = False
    last_intent: str | None = None
    last_action: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    search_text: str = ""
    search_masked: str = ""
    exists: bool = False

    @classmethod
    def from_row(cls, row: Any) -> _Summary:
        return cls(
            sender_id=row.sender_id,
            started_at=row.started_at,
            last_at=row.last_at,
            channel=row.channel,
            turns=row.turns,
            events=row.events,
            min_confidence=row.min_confidence,
            fallback=row.fallback,
            fallback_count=row.fallback_count,
            handoff=row.handoff,
            paused=row.paused,
            last_intent=row.last_intent,
            last_action=row.last_action,
            slots=json.loads(row.slots or "{}"),
            search_text=row.search_text,
            search_masked=row.search_masked,
            exists=True,
        )

    def values(self) -> dict[str, Any]:
        return {
            "channel": self.channel[:60],
            "started_at": self.started_at,
            "last_at": self.last_at,
            "turns": self.turns,
            "events": self.events,
            "min_confidence": self.min_confidence,
            "fallback": self.fallback,
            "fallback_count": self.fallback_count,
            "handoff": self.handoff,
            "paused": self.paused,
            "last_intent": self.last_intent,
            "last_action": self.last_action,
            "slots": json.dumps(self.slots, sort_keys=True, default=str),
            "search_text": self.search_text,
            "search_masked": self.search_masked,
        }


@dataclass
class _Candidate:
    norm: str
    text: str
    event_id: int
    sender_id: str
    at: datetime
    intent: str | None
    confidence: float | None
    entities: list[dict[str, Any]]
    count: int = 1


class Ingestor:
    """Reads new tracker events into the console DB; safe to call from a timer and on demand."""

    def __init__(
        self,
        console: Engine,
        tracker: Engine,
        training: TrainingIndex | None = None,
        batch_size: int = 5000,
    ) -> None:
        self.console = console
        self.tracker = tracker
        self.training = training
        self.batch_size = batch_size

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
        with self.console.connect() as conn:
            value = conn.execute(
                select(db.ingest_state.c.last_event_id).where(db.ingest_state.c.source == SOURCE)
            ).scalar()
        return int(value or 0)

    def _tracker_ready(self) -> bool:
        with self.tracker.connect() as conn:
            return bool(inspect(conn).has_table("events"))

    def _one_batch(self, known: frozenset[str]) -> IngestResult:
        last = self.last_event_id()
        e = tracker_events.c
        with self.tracker.connect() as conn:
            rows = conn.execute(
                select(e.id, e.sender_id, e.type_name, e.timestamp, e.data)
                .where(e.id > last)
                .order_by(e.id)
                .limit(self.batch_size)
            ).all()
        if not rows:
            return IngestResult(last_event_id=last)
        by_sender: dict[str, list[Any]] = defaultdict(list)
        for row in rows:
            by_sender[row.sender_id].append(row)
        new_last = int(rows[-1].id)
        with self.console.begin() as conn:
            summaries = self._load(conn, list(by_sender))
            facet_counts: Counter[tuple[str, str, str]] = Counter()
            candidates: dict[str, _Candidate] = {}
            ratings: list[dict[str, Any]] = []
            for sender, events in by_sender.items():
                first_at = ts_to_dt(events[0].timestamp)
                summary = summaries.get(sender) or _Summary(sender, first_at, first_at)
                summaries[sender] = summary
                for row in events:
                    _apply(summary, row, facet_counts, candidates, ratings, known)
            self._save(conn, summaries.values(), facet_counts)
            added = self._save_candidates(conn, candidates)
            if ratings:
                conn.execute(insert(db.csat_ratings), ratings)
            self._set_last(conn, new_last)
        return IngestResult(len(rows), len(by_sender), added, new_last)

    @staticmethod
    def _load(conn: Connection, senders: Sequence[str]) -> dict[str, _Summary]:
        found: dict[str, _Summary] = {}
        for i in range(0, len(senders), 500):
            chunk = senders[i : i + 500]
            for row in conn.execute(select(db.conversations).where(db.conversations.c.sender_id.in_(chunk))):
                found[row.sender_id] = _Summary.from_row(row)
        return found

    @staticmethod
    def _save(
        conn: Connection, summaries: Iterable[_Summary], facet_counts: Counter[tuple[str, str, str]]
    ) -> None:
        c = db.conversations.c
        new_rows, updates = [], []
        for s in summaries:
            if s.exists:
                updates.append({"_sender": s.sender_id, **s.values()})
            else:
                new_rows.append({"sender_id": s.sender_id, "review_status": "unread", **s.values()})
        if new_rows:
            conn.execute(insert(db.conversations), new_rows)
        if updates:
            conn.execute(
                update(db.conversations).where(c.sender_id == bindparam("_sender")),
                updates,
            )
        if not facet_counts:
            return
        f = db.facets.c
        senders = sorted({k[0] for k in facet_counts})
        existing: dict[tuple[str, str, str], int] = {}
        for i in range(0, len(senders), 500):
            for row in conn.execute(
                select(f.sender_id, f.kind, f.value, f.count).where(f.sender_id.in_(senders[i : i + 500]))
            ):
                existing[(row.sender_id, row.kind, row.value)] = row.count
        fresh = [
            {"sender_id": k[0], "kind": k[1], "value": k[2], "count": n}
            for k, n in facet_counts.items()
            if k not in existing
        ]
        bumps = [
            {"_s": k[0], "_k": k[1], "_v": k[2], "count": existing[k] + n}
            for k, n in facet_counts.items()
            if k in existing
        ]
        if fresh:
            conn.execute(insert(db.facets), fresh)
        if bumps:
            conn.execute(
                update(db.facets).where(
                    f.sender_id == bindparam("_s"), f.kind == bindparam("_k"), f.value == bindparam("_v")
                ),
                bumps,
            )

    @staticmethod
    def _save_candidates(conn: Connection, candidates: dict[str, _Candidate]) -> int:
        if not candidates:
            return 0
        n = db.nlu_inbox.c
        norms = list(candidates)
        seen: dict[str, int] = {}
        for i in range(0, len(norms), 500):
            for row in conn.execute(
                select(n.norm_text, n.seen_count).where(n.norm_text.in_(norms[i : i + 500]))
            ):
                seen[row.norm_text] = row.seen_count
        fresh = []
        for norm, cand in candidates.items():
            if norm in seen:
                conn.execute(
                    update(db.nlu_inbox)
                    .where(n.norm_text == norm)
                    .values(seen_count=n.seen_count + cand.count, seen_at=cand.at)
                )
                continue
            fresh.append(
                {
                    "norm_text": norm,
                    "text": cand.text,
                    "event_id": cand.event_id,
                    "sender_id": cand.sender_id,
                    "seen_at": cand.at,
                    "seen_count": cand.count,
                    "predicted_intent": cand.intent,
                    "confidence": cand.confidence,
                    "predicted_entities": json.dumps(cand.entities),
                    "status": "new",
                    "entities": json.dumps(cand.entities),
                }
            )
        if fresh:
            conn.execute(insert(db.nlu_inbox), fresh)
        return len(fresh)

    @staticmethod
    def _set_last(conn: Connection, last_id: int) -> None:
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        updated = conn.execute(
            update(db.ingest_state)
            .where(db.ingest_state.c.source == SOURCE)
            .values(last_event_id=last_id, updated_at=now)
        ).rowcount
        if not updated:
            conn.execute(insert(db.ingest_state).values(source=SOURCE, last_event_id=last_id, updated_at=now))


def _apply(
    s: _Summary,
    row: Any,
    facet_counts: Counter[tuple[str, str, str]],
    candidates: dict[str, _Candidate],
    ratings: list[dict[str, Any]],
    known: frozenset[str],
) -> None:
    """Fold one tracker event into the conversation's summary."""
    try:
        data = json.loads(row.data or "{}")
    except ValueError:
        data = {}
    at = ts_to_dt(row.timestamp)
    s.events += 1
    s.started_at = min(s.started_at, at)
    s.last_at = max(s.last_at, at)
    kind = row.type_name
    if kind == "user":
        _apply_user(s, row, data, at, facet_counts, candidates, known)
    elif kind == "action":
        name = str(data.get("name") or "")
        if name and name not in QUIET_ACTIONS:
            s.last_action = name
            facet_counts[(s.sender_id, "action", name[:FACET_CHARS])] += 1
        if name in FALLBACK_ACTIONS:
            s.fallback = True
            if name == "action_default_fallback":
                s.fallback_count += 1
        if name == HANDOFF_ACTION:
            s.handoff = True
    elif kind == "slot":
        name = str(data.get("name") or "")
        value = data.get("value")
        if not name:
            return
        s.slots[name] = value
        if value is not None:
            pair = f"{name}={_scalar(value)}"
            facet_counts[(s.sender_id, "slot", pair[:FACET_CHARS])] += 1
            facet_counts[(s.sender_id, "slot_m", mask_text(pair)[:FACET_CHARS])] += 1
        if name == CSAT_SLOT:
            score = _score(value)
            if score is not None:
                ratings.append({"event_id": int(row.id), "sender_id": s.sender_id, "score": score, "at": at})
    elif kind == "pause":
        s.paused = True
    elif kind in ("resume", "restart"):
        s.paused = False


def _apply_user(
    s: _Summary,
    row: Any,
    data: dict[str, Any],
    at: datetime,
    facet_counts: Counter[tuple[str, str, str]],
    candidates: dict[str, _Candidate],
    known: frozenset[str],
) -> None:
    s.turns += 1
    channel = data.get("input_channel")
    if channel:
        s.channel = str(channel)
    parse = data.get("parse_data") or {}
    intent = (parse.get("intent") or {}).get("name")
    confidence = (parse.get("intent") or {}).get("confidence")
    text = str(data.get("text") or "")
    if intent:
        s.last_intent = str(intent)
        facet_counts[(s.sender_id, "intent", str(intent)[:FACET_CHARS])] += 1
        if intent == FALLBACK_INTENT:
            s.fallback = True
            s.fallback_count += 1
    if isinstance(confidence, int | float):
        s.min_confidence = (
            float(confidence) if s.min_confidence is None else min(s.min_confidence, confidence)
        )
    entities = []
    for ent in parse.get("entities") or []:
        name = ent.get("entity")
        if not name:
            continue
        facet_counts[(s.sender_id, "entity", str(name)[:FACET_CHARS])] += 1
        if isinstance(ent.get("start"), int) and isinstance(ent.get("end"), int):
            entities.append(
                {"start": ent["start"], "end": ent["end"], "entity": name, "value": ent.get("value")}
            )
    if text and len(s.search_text) < SEARCH_TEXT_CHARS:
        s.search_text = _appended(s.search_text, text.lower())
        s.search_masked = _appended(s.search_masked, mask_text(text.lower()))
    if not text or text.startswith("/") or len(text) > INBOX_MAX_CHARS:
        return
    norm = normalise(text)
    if not norm or norm in known:
        return
    if norm in candidates:
        candidates[norm].count += 1
        candidates[norm].at = at
        return
    candidates[norm] = _Candidate(
        norm,
        text,
        int(row.id),
        s.sender_id,
        at,
        str(intent) if intent else None,
        float(confidence) if isinstance(confidence, int | float) else None,
        _dedupe_spans(entities),
    )


def _appended(search: str, text: str) -> str:
    return (search + "\n" + text)[-SEARCH_TEXT_CHARS:].lstrip("\n")


def _dedupe_spans(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entity per span (several extractors may report the same one)."""
    seen: set[tuple[int, int]] = set()
    out = []
    for ent in sorted(entities, key=lambda x: (x["start"], x["end"])):
        span = (ent["start"], ent["end"])
        if span in seen or any(ent["start"] < e and ent["end"] > s for s, e in seen):
            continue
        seen.add(span)
        out.append(ent)
    return out


def _scalar(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _score(value: Any) -> int | None:
    try:
        score = int(float(value))
    except (TypeError, ValueError):
        return None
    return score if 1 <= score <= 5 else None
