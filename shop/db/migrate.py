"""Bring a database to the newest schema: ``python -m shop.db.migrate``.

The Alembic ``Config`` is built in code, so no ``alembic.ini`` is needed; the
migration scripts live in ``shop/db/migrations``.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import make_url

from shop.config import default_db_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def load_all_models() -> MetaData:
    """Import every ``shop/db/*models.py`` so ``Base.metadata`` describes the whole head schema."""
    import shop.db
    from shop.db.models import Base

    for module in pkgutil.iter_modules(shop.db.__path__):
        if module.name.endswith("models"):
            importlib.import_module(f"shop.db.{module.name}")
    return Base.metadata


def head_revision() -> str | None:
    """The newest revision among the migration scripts."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at our scripts and at ``url`` (default: ``SHOP_DB_URL``)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser treats '%' as interpolation; URL-encoded passwords contain it.
    cfg.set_main_option("sqlalchemy.url", (url or default_db_url()).replace("%", "%%"))
    return cfg


def _ensure_sqlite_dir(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Run ``alembic upgrade head`` against ``url``; creates ``var/`` for SQLite."""
    url = url or default_db_url()
    _ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url), revision)


def current_revision(url: str | None = None) -> str | None:
    """The revision the database is at, or None before the first migration."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine

    engine = create_engine(url or default_db_url(), future=True)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> None:
    """Migrate the order DB to the newest schema (``python -m shop.db.migrate``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: SHOP_DB_URL or var/shop.db)")
    parser.add_argument("--revision", default="head")
    args = parser.parse_args(argv)
    upgrade(args.url, args.revision)
    print(f"database at revision {current_revision(args.url)}")


if __name__ == "__main__":
    main()
