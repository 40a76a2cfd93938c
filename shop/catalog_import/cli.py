"""The command line: ``python -m shop.catalog_import FILE [--url DB] [--dry-run]``.

Exit status 0 when the file was imported (or would be, with ``--dry-run``); 1 with every
problem on stderr and nothing written otherwise. Format and rules: docs/catalog-import.md.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from shop.catalog_import.parse import read_catalog
from shop.catalog_import.records import CatalogConflictError, CatalogFileError
from shop.catalog_import.upsert import import_catalog

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Validate ``FILE`` in full, then upsert it into the database; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m shop.catalog_import",
        description="Validate a catalog file (CSV or JSON) and upsert it into the shop database.",
    )
    parser.add_argument("file", type=Path, help="catalog .csv (one row per variant) or .json")
    parser.add_argument("--url", help="database URL (default: SHOP_DB_URL or var/shop.db)")
    parser.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")
    args = parser.parse_args(argv)

    try:
        products, errors = read_catalog(args.file)
    except CatalogFileError as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return 1
    if errors:
        for error in errors:
            print(error, file=sys.stderr)
        print(f"{args.file}: {len(errors)} problem(s); nothing written", file=sys.stderr)
        return 1

    from shop.db.session import make_engine, make_sessionmaker

    # SQLite stores Numeric as float; prices are quantized to cents, so the warning is noise here
    warnings.filterwarnings("ignore", r"Dialect sqlite\+pysqlite does \*not\* support Decimal")
    engine = make_engine(args.url)
    try:
        counts = import_catalog(make_sessionmaker(engine), products, dry_run=args.dry_run)
    except CatalogConflictError as exc:
        print(f"{args.file}: {exc}; nothing written", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(
            f"database error, nothing written (is it migrated? python -m shop.db.migrate): {exc}",
            file=sys.stderr,
        )
        return 1
    finally:
        engine.dispose()
    prefix = "dry run, nothing written: would import" if args.dry_run else "imported"
    print(f"{prefix} {counts.summary()}")
    return 0
