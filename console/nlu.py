"""The NLU inbox: shoppers' messages that are not in the training data, reviewed by
annotators and exported as a Rasa 3 NLU file (``data/nlu/console_export.yml``).

Each message keeps its language (console.languages) through review and export: the export
has one block per intent and language, the language as the block's metadata
(``metadata: {language: zh}``, which Rasa's reader keeps on every example of the block), so
training can tell the Chinese examples from the English ones."""

from __future__ import annotations

import json
import os
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine

from console import db
from console.privacy import Pseudonymiser
from console.training import TrainingSnapshot, normalise
from shop.clock import naive_utc

STATUSES = ("new", "approved", "dismissed", "exported")
EXPORT_HEADER = (
    "# Written by the review console (console/nlu.py) from examples approved in its NLU inbox.\n"
    "# Regenerated on every export: change examples in the console, not here.\n"
)


class InboxError(ValueError):
    """The review action does not fit this message."""


class InboxNotFound(LookupError):
    """No inbox message has that id."""


def list_inbox(
    engine: Engine, status: str = "new", page: int = 1, page_size: int = 50, language: str = ""
) -> tuple[list[dict], bool]:
    """One page of inbox messages in ``status`` (and ``language``, when given), least confident
    first, and whether more follow."""
    n = db.nlu_inbox.c
    status = status if status in STATUSES else "new"
    where = [n.status == status] + ([n.language == language] if language else [])
    stmt = (
        select(db.nlu_inbox)
        .where(*where)
        .order_by(n.confidence.is_(None).desc(), n.confidence, n.seen_count.desc(), n.id)
        .limit(page_size + 1)
        .offset((max(page, 1) - 1) * page_size)
    )
    with engine.connect() as conn:
        rows = [_row(r) for r in conn.execute(stmt)]
    return rows[:page_size], len(rows) > page_size


def counts(engine: Engine) -> dict[str, int]:
    """How many inbox messages are in each status (for the page's tabs)."""
    n = db.nlu_inbox.c
    with engine.connect() as conn:
        found = dict(conn.execute(select(n.status, func.count()).group_by(n.status)).all())
    return {s: int(found.get(s, 0)) for s in STATUSES}


def get(engine: Engine, item_id: int) -> dict[str, Any]:
    """One inbox message (``InboxNotFound`` if there is none)."""
    with engine.connect() as conn:
        row = conn.execute(select(db.nlu_inbox).where(db.nlu_inbox.c.id == item_id)).first()
    if row is None:
        raise InboxNotFound(item_id)
    return _row(row)


def _row(row: Any) -> dict[str, Any]:
    out = dict(row._mapping)
    out["predicted_entities"] = json.loads(out["predicted_entities"] or "[]")
    out["entities"] = json.loads(out["entities"] or "[]")
    return out


def _set(engine: Engine, item_id: int, user: str, **values: Any) -> None:
    with engine.begin() as conn:
        done = conn.execute(
            update(db.nlu_inbox)
            .where(db.nlu_inbox.c.id == item_id)
            .values(reviewed_by=user, reviewed_at=naive_utc(), **values)
        ).rowcount
    if not done:
        raise InboxNotFound(item_id)


def confirm(engine: Engine, item_id: int, user: str, training: TrainingSnapshot) -> None:
    """Approve the predicted intent as the label."""
    item = get(engine, item_id)
    intent = item["predicted_intent"] or ""
    if intent not in training.intents:
        raise InboxError(f"'{intent}' is not an intent of the assistant: correct it instead")
    _set(engine, item_id, user, status="approved", intent=intent)


def correct(engine: Engine, item_id: int, intent: str, user: str, training: TrainingSnapshot) -> None:
    """Approve the message under another intent."""
    if intent not in training.intents:
        raise InboxError(f"unknown intent '{intent}'")
    get(engine, item_id)
    _set(engine, item_id, user, status="approved", intent=intent)


def dismiss(engine: Engine, item_id: int, user: str) -> None:
    """Keep a message out of the training data."""
    get(engine, item_id)
    _set(engine, item_id, user, status="dismissed")


def add_entity(
    engine: Engine, item_id: int, fragment: str, entity: str, user: str, training: TrainingSnapshot
) -> None:
    """Mark the first occurrence of ``fragment`` in the message as ``entity``."""
    if entity not in training.entities:
        raise InboxError(f"unknown entity '{entity}'")
    item = get(engine, item_id)
    fragment = fragment.strip()
    start = item["text"].find(fragment) if fragment else -1
    if start < 0:
        start = item["text"].lower().find(fragment.lower()) if fragment else -1
    if start < 0:
        raise InboxError("that text is not in the message")
    end = start + len(fragment)
    kept = [e for e in item["entities"] if e["end"] <= start or e["start"] >= end]
    kept.append({"start": start, "end": end, "entity": entity, "value": item["text"][start:end]})
    kept.sort(key=lambda e: e["start"])
    _set(engine, item_id, user, entities=json.dumps(kept))


def clear_entities(engine: Engine, item_id: int, user: str) -> None:
    """Drop every entity annotation of a message."""
    get(engine, item_id)
    _set(engine, item_id, user, entities="[]")


def _clean(text: str) -> str:
    """Printable characters only, without Rasa's entity markup (spaces kept as they are)."""
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return text.replace("[", "(").replace("]", ")").replace("{", "(").replace("}", ")")


def annotate(text: str, entities: list[dict[str, Any]], pseudo: Pseudonymiser) -> str:
    """The example in Rasa's markup: ``[surface](entity)`` or ``[surface]{"entity": .., "value": ..}``."""
    out, pos = [], 0
    for ent in sorted(entities, key=lambda e: e["start"]):
        start, end = int(ent["start"]), int(ent["end"])
        if start < pos or end > len(text) or start >= end:
            continue
        out.append(pseudo(_clean(text[pos:start])))
        surface = " ".join(pseudo(_clean(text[start:end])).split())
        value = ent.get("value")
        value = " ".join(pseudo(_clean(value)).split()) if isinstance(value, str) else value
        if not surface:
            pos = end
            continue
        if value is None or value == surface or not isinstance(value, str) or '"' in value or ")" in value:
            out.append(f"[{surface}]({ent['entity']})")
        else:
            out.append("[" + surface + "]" + json.dumps({"entity": ent["entity"], "value": value}))
        pos = end
    out.append(pseudo(_clean(text[pos:])))
    joined = "".join(out)
    return " ".join(joined.split())


def render_export(rows: list[dict[str, Any]]) -> str:
    """Rasa 3 NLU YAML for approved rows, one block per intent and language (the block's
    metadata), emails replaced by placeholders."""
    pseudo = Pseudonymiser()
    by_intent: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: r["id"]):
        line = annotate(row["text"], row["entities"], pseudo)
        key = (row["intent"], _language_code(row.get("language")))
        if line and line not in by_intent[key]:
            by_intent[key].append(line)
    lines = [EXPORT_HEADER.rstrip("\n"), 'version: "3.1"', "", "nlu:"]
    for intent, language in sorted(by_intent):
        lines.append(f"- intent: {intent}")
        if language:
            lines.extend(["  metadata:", f"    language: {language}"])
        lines.append("  examples: |")
        lines.extend(f"    - {example}" for example in by_intent[(intent, language)])
    if not by_intent:
        lines[-1] = "nlu: []"
    return "\n".join(lines) + "\n"


def _language_code(value: object) -> str:
    """A stored language as it may go into the YAML: a plain code, else none."""
    return value if isinstance(value, str) and value.isalpha() and value.isascii() else ""


def export(engine: Engine, path: Path, training: TrainingSnapshot, user: str) -> int:
    """Write every approved (and previously exported) example to ``path``; returns how many."""
    n = db.nlu_inbox.c
    with engine.connect() as conn:
        rows = [
            _row(r) for r in conn.execute(select(db.nlu_inbox).where(n.status.in_(("approved", "exported"))))
        ]
    # Examples that have meanwhile been added to the training files by hand stay out.
    rows = [r for r in rows if normalise(r["text"]) not in training.texts and r["intent"] in training.intents]
    content = render_export(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".console_export.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(content)
    os.replace(tmp, path)
    ids = [r["id"] for r in rows]
    if ids:
        with engine.begin() as conn:
            conn.execute(
                update(db.nlu_inbox)
                .where(n.id.in_(ids), n.status == "approved")
                .values(status="exported", reviewed_by=user, reviewed_at=naive_utc())
            )
    return len(rows)


def approved_labels(engine: Engine) -> dict[str, dict[str, Any]]:
    """Reviewed labels by normalised text, used when a conversation becomes a test story."""
    n = db.nlu_inbox.c
    with engine.connect() as conn:
        rows = conn.execute(select(db.nlu_inbox).where(n.status.in_(("approved", "exported"))))
        return {r.norm_text: _row(r) for r in rows}
