"""What the assistant is already trained on: example texts, intents, entities, slots.

Loaded with Rasa's own reader so the console sees exactly what ``rasa train`` sees; reloaded
when a file under ``data/nlu`` or the domain changes.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import yaml  # type: ignore[import-untyped]

_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """The form used to compare a message with the training examples."""
    return _SPACES.sub(" ", text.strip().lower())


@dataclass(frozen=True)
class TrainingSnapshot:
    """What the training data holds right now: example texts and the names to label with."""

    texts: frozenset[str] = frozenset()
    #: intents a message may be labelled with: domain intents, retrieval intents by sub-intent
    intents: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    slots: tuple[str, ...] = ()
    stamp: tuple[tuple[str, float], ...] = field(default=())


def _stamp(nlu_dir: Path, domain_file: Path, exclude: Path | None) -> tuple[tuple[str, float], ...]:
    files = sorted(p for p in nlu_dir.glob("**/*.yml") if p != exclude) if nlu_dir.exists() else []
    if domain_file.exists():
        files.append(domain_file)
    return tuple((str(p), p.stat().st_mtime) for p in files)


def load_snapshot(nlu_dir: Path, domain_file: Path, exclude: Path | None = None) -> TrainingSnapshot:
    """Read the NLU examples (all files but ``exclude``) and the domain's names."""
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    stamp = _stamp(nlu_dir, domain_file, exclude)
    data = TrainingData()
    for name, _ in stamp:
        path = Path(name)
        if path != domain_file:
            data = data.merge(load_data(str(path)))
    texts = frozenset(normalise(m.get("text") or "") for m in data.training_examples)
    domain = yaml.safe_load(domain_file.read_text()) if domain_file.exists() else {}
    domain = domain or {}
    intents = set(_names(domain.get("intents", []))) | set(data.intents)
    retrieval = {m.get("intent_response_key") for m in data.training_examples if m.get("intent_response_key")}
    retrieval_bases = {key.split("/")[0] for key in retrieval if key}
    labels = sorted((intents - retrieval_bases) | {k for k in retrieval if k})
    entities = sorted(set(_names(domain.get("entities", []))) | set(data.entities))
    slots = sorted((domain.get("slots") or {}).keys())
    return TrainingSnapshot(texts, tuple(labels), tuple(entities), tuple(slots), stamp)


def _names(items: list) -> list[str]:
    out = []
    for item in items:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            out.extend(str(k) for k in item)
    return out


_CACHE: dict[tuple[str, str, str], TrainingSnapshot] = {}
_CACHE_LOCK = threading.Lock()


class TrainingIndex:
    """A snapshot that refreshes itself when the files change (checked on each access).

    Snapshots are shared per process by paths and file times, so several apps (or tests)
    over the same files parse them once.
    """

    def __init__(self, nlu_dir: Path, domain_file: Path, exclude: Path | None = None) -> None:
        self.nlu_dir, self.domain_file, self.exclude = nlu_dir, domain_file, exclude
        self._snapshot: TrainingSnapshot | None = None
        self._lock = threading.Lock()

    def get(self) -> TrainingSnapshot:
        """The snapshot, re-read only when a training file changed."""
        with self._lock:
            stamp = _stamp(self.nlu_dir, self.domain_file, self.exclude)
            if self._snapshot is None or self._snapshot.stamp != stamp:
                key = (str(self.nlu_dir), str(self.domain_file), str(self.exclude))
                with _CACHE_LOCK:
                    cached = _CACHE.get(key)
                    if cached is None or cached.stamp != stamp:
                        cached = _CACHE[key] = load_snapshot(self.nlu_dir, self.domain_file, self.exclude)
                self._snapshot = cached
            return self._snapshot
