"""A conversation saved as a Rasa test story (``tests/stories/test_console_<sender>.yml``).

The ``test_`` prefix is Rasa's: ``rasa test`` only reads conversation tests from files whose
name starts with it (``YAMLStoryReader.is_test_stories_file``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]
from sqlalchemy.engine import Engine

from console.conversations import NotFound, tracker_rows
from console.nlu import _clean, annotate
from console.privacy import Pseudonymiser
from console.training import TrainingSnapshot, normalise

SKIP_ACTIONS = frozenset({"action_listen", "action_session_start"})
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


class StoryError(ValueError):
    """The conversation cannot become a test story."""


def story_path(stories_dir: Path, sender_id: str) -> Path:
    """Where a conversation's test story is written (a safe file name from the sender id)."""
    safe = _UNSAFE.sub("_", sender_id).strip("_")[:60] or "conversation"
    return stories_dir / f"test_console_{safe}.yml"


def build_story(
    tracker: Engine, sender_id: str, training: TrainingSnapshot, labels: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Steps from the conversation's first message up to a handoff pause or restart.

    User steps carry the reviewed label from the NLU inbox when there is one, else the
    predicted intent (the sub-intent for retrieval intents); emails become placeholders.
    """
    rows = tracker_rows(tracker, sender_id)
    if not rows:
        raise NotFound(sender_id)
    pseudo = Pseudonymiser()
    slots = set(training.slots)
    steps: list[dict[str, Any]] = []
    started = False
    for row in rows:
        data = json.loads(row.data or "{}")
        kind = row.type_name
        if kind in ("pause", "restart"):
            break
        if kind == "user":
            step = _user_step(data, training, labels, pseudo)
            if step is not None:
                steps.append(step)
                started = True
        elif not started:
            continue
        elif kind == "action" and data.get("name") not in SKIP_ACTIONS and data.get("name"):
            steps.append({"action": data["name"]})
        elif kind == "slot" and data.get("name") in slots:
            value = data.get("value")
            if isinstance(value, str):
                value = pseudo(value)
            steps.append({"slot_was_set": [{data["name"]: value}]})
        elif kind == "active_loop":
            steps.append({"active_loop": data.get("name")})
    if not any("user" in s or "intent" in s for s in steps):
        raise StoryError("the conversation has no shopper messages to test")
    return {
        "version": "3.1",
        "stories": [{"story": f"console {sender_id}", "steps": steps}],
    }


def _user_step(
    data: dict[str, Any], training: TrainingSnapshot, labels: dict[str, dict[str, Any]], pseudo: Pseudonymiser
) -> dict[str, Any] | None:
    text = str(data.get("text") or "")
    parse = data.get("parse_data") or {}
    intent = (parse.get("intent") or {}).get("name")
    selector = (parse.get("response_selector") or {}).get(intent or "", {})
    full = (
        ((selector.get("response") or {}).get("intent_response_key")) if isinstance(selector, dict) else None
    )
    intent = full or intent
    label = labels.get(normalise(text))
    entities = [
        {"start": e["start"], "end": e["end"], "entity": e["entity"], "value": e.get("value")}
        for e in parse.get("entities") or []
        if isinstance(e.get("start"), int) and isinstance(e.get("end"), int) and e.get("entity")
    ]
    if label is not None:
        intent, entities = label["intent"], label["entities"]
    if not intent or intent not in training.intents:
        raise StoryError(f"message {text[:40]!r} has intent {intent!r}: label it in the NLU inbox first")
    if text.startswith("/"):
        return {"intent": intent}
    seen: set[tuple[int, int]] = set()
    unique = []
    for e in sorted(entities, key=lambda x: (x["start"], x["end"])):
        if (e["start"], e["end"]) not in seen and all(e["start"] >= b or e["end"] <= a for a, b in seen):
            seen.add((e["start"], e["end"]))
            unique.append(e)
    annotated = annotate(text, unique, pseudo) if unique else " ".join(pseudo(_clean(text)).split())
    return {"user": annotated, "intent": intent}


def save_story(
    tracker: Engine,
    sender_id: str,
    stories_dir: Path,
    training: TrainingSnapshot,
    labels: dict[str, dict[str, Any]],
) -> Path:
    """Write the conversation as a Rasa test story; returns its path (``StoryError`` if it cannot be one)."""
    story = build_story(tracker, sender_id, training, labels)
    path = story_path(stories_dir, sender_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "# Saved from the review console; a test conversation for `rasa test`.\n"
    path.write_text(header + yaml.safe_dump(story, sort_keys=False, allow_unicode=True, width=1000))
    return path
