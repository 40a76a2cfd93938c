"""Writing one ingested batch into the console's tables, inside the caller's transaction.

Summaries are inserted or updated, facet counts and inbox sightings added to what is
stored, and the high-water mark (``ingest_state``) moved, all on the one ``Connection``
``console.ingest`` opened with ``begin()``: a crash keeps all of a batch or none of it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection

from console import db
from console.summaries import Candidate, FacetCounts, Summary
from shop.clock import naive_utc

__all__ = ["last_event_id", "load_summaries", "save_candidates", "save_summaries", "set_last_event_id"]

#: How many keys go into one ``IN (...)`` (SQLite allows 999 parameters).
CHUNK = 500


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def last_event_id(conn: Connection, source: str) -> int:
    """The id of the last tracker event read from ``source`` (0 before the first run)."""
    s = db.ingest_state.c
    return int(conn.execute(select(s.last_event_id).where(s.source == source)).scalar() or 0)


def set_last_event_id(conn: Connection, source: str, last_id: int) -> None:
    """Move the high-water mark, in the same transaction as the batch it covers."""
    now = naive_utc()
    s = db.ingest_state.c
    updated = conn.execute(
        update(db.ingest_state).where(s.source == source).values(last_event_id=last_id, updated_at=now)
    ).rowcount
    if not updated:
        conn.execute(insert(db.ingest_state).values(source=source, last_event_id=last_id, updated_at=now))


def load_summaries(conn: Connection, senders: Sequence[str]) -> dict[str, Summary]:
    """The stored summaries of those of ``senders`` the console has seen before."""
    c = db.conversations.c
    found: dict[str, Summary] = {}
    for chunk in _chunks(senders):
        for row in conn.execute(select(db.conversations).where(c.sender_id.in_(chunk))):
            found[row.sender_id] = Summary.from_row(row)
    return found


def save_summaries(conn: Connection, summaries: Iterable[Summary], facets: FacetCounts) -> None:
    """Insert new conversations, update known ones, and add the batch's facet counts."""
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
        conn.execute(update(db.conversations).where(c.sender_id == bindparam("_sender")), updates)
    if facets:
        _save_facets(conn, facets)


def _save_facets(conn: Connection, facets: FacetCounts) -> None:
    f = db.facets.c
    existing: dict[tuple[str, str, str], int] = {}
    for chunk in _chunks(sorted({k[0] for k in facets})):
        for row in conn.execute(select(f.sender_id, f.kind, f.value, f.count).where(f.sender_id.in_(chunk))):
            existing[(row.sender_id, row.kind, row.value)] = row.count
    fresh = [
        {"sender_id": k[0], "kind": k[1], "value": k[2], "count": n}
        for k, n in facets.items()
        if k not in existing
    ]
    bumps = [
        {"_s": k[0], "_k": k[1], "_v": k[2], "count": existing[k] + n}
        for k, n in facets.items()
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


def save_candidates(conn: Connection, candidates: dict[str, Candidate]) -> int:
    """Count sightings of texts already in the inbox, add the others; returns how many were new."""
    if not candidates:
        return 0
    n = db.nlu_inbox.c
    seen: set[str] = set()
    for chunk in _chunks(list(candidates)):
        seen.update(conn.execute(select(n.norm_text).where(n.norm_text.in_(chunk))).scalars())
    fresh: list[dict[str, Any]] = []
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
                "language": cand.language,
            }
        )
    if fresh:
        conn.execute(insert(db.nlu_inbox), fresh)
    return len(fresh)
