"""``python -m catalog_index.spacy_pipeline [--out var/spacy_catalog] [--force]``.

Builds ``spacy.blank("en")`` with an ``entity_ruler`` whose patterns come from the catalog:
product names (label ``product``, id = sku), brands (``brand``), categories (``category``,
singular and plural), colours (``color``) and sizes (``size``, id = canonical size). Patterns
are lower-case token patterns on ``LOWER`` so "nimbus running shoe" matches; one-letter
sizes (S, M, L) are the exception: they match the upper-case ``ORTH`` only, or after the word
"size", because a lower-case "m" or "s" is too often not a size; numeric sizes and the words
small/medium/large match only after "size" or "in" ("use code save 10", "they're too small"
are not sizes). Actions read such spans through ``shop.catalog_query.canonical_size``.
Typos are left to the fuzzy matcher in ``shop.catalog``. Rasa's ``SpacyNLP`` loads the saved
folder. The pipeline is rebuilt only when the catalog vocabulary changed (fingerprint in
``catalog_fingerprint.json``).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import sessionmaker

from catalog_index.paths import var_folder
from shop.catalog_query import SIZE_WORDS
from shop.catalog_rows import CatalogRow, read_catalog, vocabulary_fingerprint

FINGERPRINT_FILE = "catalog_fingerprint.json"
#: Bumped when the pattern rules change, so saved pipelines are rebuilt.
PATTERN_RULES_VERSION = 2


def default_spacy_dir() -> Path:
    """``SPACY_CATALOG_DIR`` or ``var/spacy_catalog`` under the project root."""
    return var_folder("SPACY_CATALOG_DIR", "spacy_catalog")


@dataclass(frozen=True)
class PipelineResult:
    """What a pipeline build did: where, whether it was rebuilt, how many patterns."""

    folder: Path
    built: bool
    patterns: int


def _plural(word: str) -> str:
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def _add_raw(
    patterns: list[dict[str, Any]], seen: set[tuple[str, str]], pattern: list[dict[str, str]], size: str
) -> None:
    key = ("size", repr(pattern))
    if key not in seen:
        seen.add(key)
        patterns.append({"label": "size", "pattern": pattern, "id": size})


def catalog_patterns(rows: list[CatalogRow], tokenizer: Any) -> list[dict[str, Any]]:
    """Entity-ruler patterns for the catalog, deduplicated."""
    seen: set[tuple[str, str]] = set()
    patterns: list[dict[str, Any]] = []

    def add(label: str, text: str, ent_id: str | None = None) -> None:
        toks = [t.lower_ for t in tokenizer(text.strip()) if not t.is_space]
        if not toks:
            return
        key = (label, " ".join(toks))
        if key in seen:
            return
        seen.add(key)
        pat: dict[str, Any] = {"label": label, "pattern": [{"LOWER": t} for t in toks]}
        if ent_id:
            pat["id"] = ent_id
        patterns.append(pat)

    for r in rows:
        add("product", r.name, r.sku)
        if r.brand:
            add("brand", r.brand, r.brand)
        if r.category:
            add("category", r.category, r.category)
            words = r.category.split()
            if words:
                add("category", " ".join(words[:-1] + [_plural(words[-1])]), r.category)
        for c in r.colors:
            add("color", c, c.lower())
    sizes = sorted({s for r in rows for s in r.sizes})
    for size in sizes:
        if len(size) == 1 and size.isalpha():
            _add_raw(patterns, seen, [{"ORTH": size.upper()}], size)
            _add_raw(patterns, seen, [{"LOWER": "size"}, {"LOWER": size.lower()}], size)
        elif size.replace(".", "", 1).isdigit():
            # "10" alone is a quantity or part of a code ("save 10") far more often than a size
            for lead in ("size", "in"):
                _add_raw(patterns, seen, [{"LOWER": lead}, {"LOWER": size.lower()}], size)
        else:
            add("size", size, size)
    for word, size in SIZE_WORDS.items():
        if size not in sizes:
            continue
        if " " in word or "-" in word:
            add("size", word, size)
        else:
            # "too small" is a complaint, "in small" / "size small" a size
            for lead in ("size", "in"):
                _add_raw(patterns, seen, [{"LOWER": lead}, {"LOWER": word}], size)
    return patterns


def make_nlp(rows: list[CatalogRow]) -> Any:
    """A blank English pipeline with the catalog's entity ruler."""
    import spacy

    nlp = spacy.blank("en")
    ruler: Any = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER", "overwrite_ents": True})
    ruler.add_patterns(catalog_patterns(rows, nlp.tokenizer))
    return nlp


def build_pipeline(
    session_factory: sessionmaker, out: Path | None = None, force: bool = False
) -> PipelineResult:
    """Save the pipeline to ``out`` unless it was built from the same catalog vocabulary."""
    out = Path(out) if out is not None else default_spacy_dir()
    rows = read_catalog(session_factory)
    fp = f"rules-{PATTERN_RULES_VERSION}:{vocabulary_fingerprint(rows)}"
    meta_path = out / FINGERPRINT_FILE
    if not force and meta_path.exists() and (out / "config.cfg").exists():
        try:
            meta = json.loads(meta_path.read_text())
        except ValueError:
            meta = {}
        if meta.get("fingerprint") == fp:
            return PipelineResult(out, False, int(meta.get("patterns", 0)))
    nlp = make_nlp(rows)
    count = len(nlp.get_pipe("entity_ruler").patterns)
    nlp.to_disk(out)
    meta_path.write_text(json.dumps({"fingerprint": fp, "patterns": count, "products": len(rows)}))
    return PipelineResult(out, True, count)


def main(argv: list[str] | None = None) -> int:
    """Build the spaCy catalog pipeline when stale; print what was done."""
    from shop.db.session import make_engine, make_sessionmaker

    parser = argparse.ArgumentParser(prog="python -m catalog_index.spacy_pipeline", description=__doc__)
    parser.add_argument("--url", help="database URL (default: SHOP_DB_URL or sqlite var/shop.db)")
    parser.add_argument("--out", type=Path, default=None, help=f"default: {default_spacy_dir()}")
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args(argv)
    result = build_pipeline(make_sessionmaker(make_engine(args.url)), args.out, force=args.force)
    print(
        f"spaCy catalog pipeline: {'built' if result.built else 'up to date'} "
        f"({result.patterns} patterns) -> {result.folder}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
