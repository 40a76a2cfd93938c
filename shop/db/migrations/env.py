"""Alembic environment: the URL comes from the Config built by ``shop.db.migrate``
(or ``SHOP_DB_URL`` when run through the ``alembic`` CLI)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from shop.config import default_db_url
from shop.db.migrate import load_all_models

config = context.config
target_metadata = load_all_models()


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or default_db_url()


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    section = dict(config.get_section(config.config_ini_section) or {})
    section["sqlalchemy.url"] = _url()
    engine = engine_from_config(section, prefix="sqlalchemy.", poolclass=pool.NullPool, future=True)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    # render_as_batch lets later migrations ALTER tables on SQLite too.
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
