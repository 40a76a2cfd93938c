"""Folding tracker events into what the console keeps per conversation.

Pure: no database here. :func:`fold_event` takes one tracker row and updates the
conversation's :class:`Summary`, the searchable facet counts, the NLU inbox candidates and
the CSAT ratings of the batch being read; ``console.ingest`` reads the rows and
``console.ingest_store`` writes the results.

Languages (``console.languages``): a conversation's is its ``language`` slot, or, while the
assistant never set one, that of its messages; each inbox candidate keeps its message's. The
NLU's ``language`` entity spans the whole message: it is a language, not an annotation, so it
never becomes an entity facet or an inbox entity.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from console import languages as lang
from console.privacy import mask_text
from console.training import normalise
from shop.clock import from_timestamp

__all__ = ["Batch", "Candidate", "FacetCounts", "Summary", "fold_event"]

FALLBACK_ACTIONS = frozenset({"action_two_stage_fallback", "action_default_fallback"})
FALLBACK_INTENT = "nlu_fallback"
HANDOFF_ACTION = "action_handoff"
QUIET_ACTIONS = frozenset({"action_listen", "action_session_start"})
CSAT_SLOT = "csat_score"
SEARCH_TEXT_CHARS = 4000
FACET_CHARS = 255
INBOX_MAX_CHARS = 1000

#: (sender_id, kind, value) -> how often it was seen in the batch
FacetCounts = Counter[tuple[str, str, str]]


@dataclass
class Summary:
    """A conversation's row in ``conversations`` while a batch is folded into it."""

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
    #: the conversation's language: the ``language`` slot, else its messages' (v3)
    language: str | None = None
    #: the row is already in the console DB (update it rather than insert)
    exists: bool = False

    @classmethod
    def from_row(cls, row: Any) -> Summary:
        """The summary stored for a conversation, to fold newer events into."""
        stored = {f.name: getattr(row, f.name) for f in fields(cls) if f.name not in ("slots", "exists")}
        return cls(**stored, slots=json.loads(row.slots or "{}"), exists=True)

    def values(self) -> dict[str, Any]:
        """The columns to write (everything but the key and the review state)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("sender_id", "exists")}
        out["channel"] = self.channel[:60]
        out["slots"] = json.dumps(self.slots, sort_keys=True, default=str)
        return out


@dataclass
class Candidate:
    """A user message not in the training data, for the NLU inbox (one per normalised text)."""

    norm: str
    text: str
    event_id: int
    sender_id: str
    at: datetime
    intent: str | None
    confidence: float | None
    entities: list[dict[str, Any]]
    count: int = 1
    #: the message's language (the NLU's ``language`` entity, else detected)
    language: str | None = None


@dataclass
class Batch:
    """What one batch of events adds besides the summaries."""

    facets: FacetCounts = field(default_factory=Counter)
    candidates: dict[str, Candidate] = field(default_factory=dict)
    ratings: list[dict[str, Any]] = field(default_factory=list)


#: The shop's languages when the caller names none (``SHOP_LANGUAGES``' default).
DEFAULT_LANGUAGES = ("en", "zh")


def fold_event(
    s: Summary, row: Any, batch: Batch, known: frozenset[str], languages: Sequence[str] = DEFAULT_LANGUAGES
) -> None:
    """Fold one tracker event into the conversation's summary and the batch's findings.

    ``known`` holds the normalised training texts: those never become inbox candidates;
    ``languages`` are the shop's (its default first), for messages that don't say theirs.
    """
    try:
        data = json.loads(row.data or "{}")
    except ValueError:
        data = {}
    at = from_timestamp(row.timestamp)
    s.events += 1
    s.started_at = min(s.started_at, at)
    s.last_at = max(s.last_at, at)
    kind = row.type_name
    if kind == "user":
        _fold_user(s, row, data, at, batch, known, languages)
    elif kind == "action":
        _fold_action(s, str(data.get("name") or ""), batch.facets)
    elif kind == "slot":
        _fold_slot(s, row, data, at, batch)
    elif kind == "pause":
        s.paused = True
    elif kind in ("resume", "restart"):
        s.paused = False


def _fold_action(s: Summary, name: str, facets: FacetCounts) -> None:
    if name and name not in QUIET_ACTIONS:
        s.last_action = name
        facets[(s.sender_id, "action", name[:FACET_CHARS])] += 1
    if name in FALLBACK_ACTIONS:
        s.fallback = True
        if name == "action_default_fallback":
            s.fallback_count += 1
    if name == HANDOFF_ACTION:
        s.handoff = True


def _fold_slot(s: Summary, row: Any, data: dict[str, Any], at: datetime, batch: Batch) -> None:
    name = str(data.get("name") or "")
    value = data.get("value")
    if not name:
        return
    s.slots[name] = value
    if name == lang.SLOT and isinstance(value, str) and value:
        s.language = value[:8]
    if value is not None:
        pair = f"{name}={_scalar(value)}"
        batch.facets[(s.sender_id, "slot", pair[:FACET_CHARS])] += 1
        batch.facets[(s.sender_id, "slot_m", mask_text(pair)[:FACET_CHARS])] += 1
    if name == CSAT_SLOT:
        score = _score(value)
        if score is not None:
            batch.ratings.append(
                {"event_id": int(row.id), "sender_id": s.sender_id, "score": score, "at": at}
            )


def _fold_user(
    s: Summary,
    row: Any,
    data: dict[str, Any],
    at: datetime,
    batch: Batch,
    known: frozenset[str],
    languages: Sequence[str],
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
        batch.facets[(s.sender_id, "intent", str(intent)[:FACET_CHARS])] += 1
        if intent == FALLBACK_INTENT:
            s.fallback = True
            s.fallback_count += 1
    if isinstance(confidence, int | float):
        s.min_confidence = (
            float(confidence) if s.min_confidence is None else min(s.min_confidence, confidence)
        )
    found = [e for e in parse.get("entities") or [] if isinstance(e, dict)]
    message_language = lang.message_language(text, found, s.language, languages)
    if lang.SLOT not in s.slots:  # the assistant never said: the messages decide
        s.language = message_language
    entities = []
    for ent in found:
        name = ent.get("entity")
        if not name or name == lang.ENTITY:
            continue
        batch.facets[(s.sender_id, "entity", str(name)[:FACET_CHARS])] += 1
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
    if norm in batch.candidates:
        batch.candidates[norm].count += 1
        batch.candidates[norm].at = at
        return
    batch.candidates[norm] = Candidate(
        norm,
        text,
        int(row.id),
        s.sender_id,
        at,
        str(intent) if intent else None,
        float(confidence) if isinstance(confidence, int | float) else None,
        _dedupe_spans(entities),
        language=message_language,
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
