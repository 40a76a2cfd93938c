"""``python -m catalog_index.spacy_pipeline [--out var/spacy_catalog] [--force]``.

Builds ``spacy.blank("en")`` with an ``entity_ruler`` whose patterns come from the catalog:
product names (label ``product``, id = sku), brands (``brand``), categories (``category``,
singular and plural), colours (``color``) and sizes (``size``, id = canonical size). Patterns
are phrase patterns on ``LOWER`` (case-insensitive) so "nimbus running shoe" matches; one-letter
sizes (S, M, L) are the exception: they match the upper-case ``ORTH`` only, or after the word
"size", because a lower-case "m" or "s" is too often not a size; numeric sizes and the words
small/medium/large match only after "size" or "in" ("use code save 10", "they're too small"
are not sizes). Actions read such spans through ``shop.catalog_query.canonical_size``.
Typos are left to the fuzzy matcher in ``shop.catalog``. Rasa's ``SpacyNLP`` loads the saved
folder. The pipeline is rebuilt only when the catalog vocabulary changed (fingerprint in
``catalog_fingerprint.json``) or :data:`PATTERN_RULES_VERSION` changed.

Chinese (issue 14): the blank English tokenizer keeps a Han run as one token
(``我想要黑色的Nimbus跑鞋`` is one token), so no phrase could match inside it. The pipeline
adds one infix rule: every Han character and CJK punctuation mark is a token of its own, so
Latin runs (``Nimbus``, ``M``) come apart from the Chinese around them and a Chinese alias is
a sequence of one-character tokens. Text without Han characters tokenizes exactly as before
(the rule never matches). This is spaCy's own tokenizer with a serialised infix pattern, so
the saved folder needs no jieba and no custom code to load; a word-segmenting ``zh`` pipeline
would split the same aliases no better, and it would need a second spaCy pipeline in Rasa.
The Chinese aliases come from :mod:`shop.catalog_i18n`: categories (``CATEGORY_ZH``, id = the
catalog category), colours (``COLOR_ZH``, two characters or more), the size words 小号 / 中号
/ 大号 / 加大 / 加加大 and ``M码``-style sizes, and products as brand + Chinese words of the
name (``Summit羽绒服``) when that alias names exactly one product.
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
from shop.catalog_i18n import CATEGORY_ZH, COLOR_ZH, WORD_ZH, WORD_ZH_BY_CATEGORY
from shop.catalog_query import SIZE_WORDS
from shop.catalog_rows import CatalogRow, read_catalog, vocabulary_fingerprint

FINGERPRINT_FILE = "catalog_fingerprint.json"
#: Bumped when the pattern rules change, so saved pipelines are rebuilt.
PATTERN_RULES_VERSION = 3

#: One token per Han character or CJK punctuation/full-width form (the tokenizer's infix rule).
HAN_INFIX = r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]"
#: Chinese size words (as in data/nlu/zh/entities.yml's synonyms) -> the catalog's size.
SIZE_WORDS_ZH = {
    "加小": "XS",
    "小号": "S",
    "中号": "M",
    "大号": "L",
    "加大": "XL",
    "加大号": "XL",
    "加加大": "XXL",
}
#: Name endings that are versions, not words (kept in Latin after the Chinese words).
NAME_SUFFIXES = frozenset({"plus", "max", "lite", "pro", "ii", "iii", "x", "edition", "2.0", "3.0"})


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
        # A phrase pattern (PhraseMatcher on LOWER): the same tokens as a LOWER token pattern,
        # matched by hash instead of pattern by pattern (thousands of patterns, per token).
        pat: dict[str, Any] = {"label": label, "pattern": text.strip()}
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


def _name_words_zh(row: CatalogRow) -> tuple[str, list[list[str]], list[str]]:
    """A product name as Latin lead (its brand, else its leading model words such as
    ``Summit``), the Chinese word groups of the rest and its version suffix (``Max``)."""
    stem = row.name.strip()
    if row.brand and stem.lower().startswith(row.brand.lower()):
        lead, words = row.brand.strip(), stem[len(row.brand) :].lower().split()
    else:
        words = stem.lower().split()
        n = 0
        while n < len(words) and words[n] not in WORD_ZH:
            n += 1
        lead, words = " ".join(stem.split()[:n]), words[n:]
    suffix: list[str] = []
    while words and words[-1] in NAME_SUFFIXES:
        suffix.insert(0, words.pop())
    local = WORD_ZH_BY_CATEGORY.get(row.category.lower(), {})
    groups: list[list[str]] = []
    i = 0
    while i < len(words):
        for n in range(min(4, len(words) - i), 0, -1):
            key = " ".join(words[i : i + n])
            value = local.get(key, WORD_ZH.get(key)) if (key in local or key in WORD_ZH) else None
            if value is not None:
                if value:
                    groups.append(value.split())
                i += n
                break
        else:
            return lead, [], suffix  # a word with no Chinese in the middle: no Chinese alias
    return lead, groups, suffix


def product_aliases_zh(rows: list[CatalogRow]) -> dict[str, str]:
    """Chinese product aliases -> sku, for aliases that name exactly one product.

    Per product: its Latin lead (brand or model words) + the first Chinese word of every
    other name word (``Summit羽绒服夹克``), and the lead + any one Chinese word of the name or
    the category (``Summit羽绒服``), each
    with and without the version suffix (``Max``). Aliases shared by two products are dropped:
    a brand's only down jacket is a product, its ten jackets are a brand and a category.
    """
    skus: dict[str, set[str]] = {}
    for r in rows:
        lead, groups, suffix = _name_words_zh(r)
        if not lead or not groups:
            continue
        heads = {w for g in groups for w in g} | set(CATEGORY_ZH.get(r.category.lower(), "").split())
        forms = {"".join(g[0] for g in groups)} | heads
        tail = " ".join(suffix)
        for form in forms:
            for alias in {f"{lead} {form}", f"{lead} {form} {tail}".strip()}:
                skus.setdefault(alias.lower(), set()).add(r.sku)
    return {alias: next(iter(s)) for alias, s in skus.items() if len(s) == 1}


def chinese_patterns(rows: list[CatalogRow], tokenizer: Any) -> list[dict[str, Any]]:
    """Entity-ruler patterns for the Chinese aliases of the catalog (see the module doc)."""
    seen: set[tuple[str, str]] = set()
    patterns: list[dict[str, Any]] = []

    def add(label: str, text: str, ent_id: str) -> None:
        toks = [t.lower_ for t in tokenizer(text.strip()) if not t.is_space]
        key = (label, " ".join(toks))
        if toks and key not in seen:
            seen.add(key)
            patterns.append({"label": label, "pattern": text.strip(), "id": ent_id})

    for alias, sku in sorted(product_aliases_zh(rows).items()):
        add("product", alias, sku)
    for r in rows:
        for word in CATEGORY_ZH.get(r.category.lower(), "").split():
            add("category", word, r.category)
        for c in r.colors:
            for word in COLOR_ZH.get(c.lower(), "").split():
                if len(word) >= 2:
                    add("color", word, c.lower())
    sizes = {s for r in rows for s in r.sizes}
    for word, size in SIZE_WORDS_ZH.items():
        if size in sizes:
            add("size", word, size)
    for size in sorted(sizes):
        if size.isalpha() and size.upper() == size:  # M码, XL码 (M alone is matched by ORTH)
            add("size", f"{size}码", size)
    return patterns


def make_nlp(rows: list[CatalogRow]) -> Any:
    """A blank English pipeline, Han characters split into tokens, with the catalog's ruler."""
    import spacy
    from spacy.util import compile_infix_regex

    nlp = spacy.blank("en")
    tokenizer: Any = nlp.tokenizer
    tokenizer.infix_finditer = compile_infix_regex([*(nlp.Defaults.infixes or ()), HAN_INFIX]).finditer
    ruler: Any = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER", "overwrite_ents": True})
    ruler.add_patterns(catalog_patterns(rows, nlp.tokenizer) + chinese_patterns(rows, nlp.tokenizer))
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
