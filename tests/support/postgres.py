"""A throwaway PostgreSQL server for tests (lives in :mod:`ops.local_services.postgres`)."""

from ops.local_services.postgres import (
    DB_NAME,
    DB_USER,
    as_owner,
    create_database,
    pg_bin_dir,
    start_postgres,
)

__all__ = ["DB_NAME", "DB_USER", "as_owner", "create_database", "pg_bin_dir", "start_postgres"]
