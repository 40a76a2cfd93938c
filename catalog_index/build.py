"""``python -m catalog_index.build [--url DB] [--out DIR] [--force] [--index-type T]``: (re)build when stale.

Exits 0 at once when the index already matches the catalog, so ``make run`` can call it
every time. Also rebuilds the spaCy catalog pipeline unless ``--no-spacy``.

``--index-type`` (``auto``, ``flat``, ``hnsw``, ``ivf``) overrides ``CATALOG_INDEX_TYPE``
for this build; ``auto`` chooses by catalog size. The action server checks the index
against ``CATALOG_INDEX_TYPE`` (or the size), so to keep a forced type set the variable
for both.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from catalog_index.errors import UnknownIndexTypeError
from catalog_index.index import INDEX_TYPE_ENV, INDEX_TYPES
from catalog_index.storage import build_index, default_index_dir
from shop.db.session import make_engine, make_sessionmaker


def main(argv: list[str] | None = None) -> int:
    """Build the index (and the spaCy pipeline) when stale; print what was done."""
    parser = argparse.ArgumentParser(prog="python -m catalog_index.build", description=__doc__)
    parser.add_argument("--url", help="database URL (default: SHOP_DB_URL or sqlite var/shop.db)")
    parser.add_argument(
        "--out", type=Path, default=None, help=f"output folder (default: {default_index_dir()})"
    )
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--index-type",
        choices=("auto", *INDEX_TYPES),
        default=None,
        help=f"FAISS index type (default: {INDEX_TYPE_ENV} or auto: flat < 20k, hnsw < 500k, ivf)",
    )
    parser.add_argument("--no-spacy", action="store_true", help="do not (re)build the spaCy catalog pipeline")
    parser.add_argument(
        "--spacy-out", type=Path, default=None, help="spaCy pipeline folder (default: var/spacy_catalog)"
    )
    args = parser.parse_args(argv)
    session_factory = make_sessionmaker(make_engine(args.url))
    try:
        result = build_index(
            session_factory,
            args.out,
            force=args.force,
            progress=True,
            batch_size=args.batch_size,
            index_type=args.index_type,
        )
    except UnknownIndexTypeError as exc:  # a bad CATALOG_INDEX_TYPE
        parser.error(str(exc))
    if result.built:
        rate = result.count / result.seconds if result.seconds else 0.0
        print(
            f"catalog index: built {result.count} products ({result.index_type}) in "
            f"{result.seconds:.1f}s ({rate:.0f} products/s) -> {result.folder}"
        )
    else:
        print(
            f"catalog index: up to date ({result.count} products, {result.fingerprint[:12]}) "
            f"in {result.folder}"
        )
    if not args.no_spacy:
        from catalog_index.spacy_pipeline import build_pipeline

        sp = build_pipeline(session_factory, args.spacy_out, force=args.force)
        state = "built" if sp.built else "up to date"
        print(f"spaCy catalog pipeline: {state} ({sp.patterns} patterns) -> {sp.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
