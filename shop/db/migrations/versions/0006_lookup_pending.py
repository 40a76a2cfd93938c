"""Identity checks in flight are told apart from failed ones.

Revision ID: 0006_lookup_pending
Revises: 0005_guessing_limits
Create Date: 2026-12-02

- ``lookup_attempts.pending``: true from the moment a check is recorded until its answer
  is known (``shop.identity``). A check goes ahead only within every key's limit counting
  failures *and* checks in flight (so parallel guesses stay bounded), but a lock is decided
  by settled failures only: many shoppers proving the same order at the same moment are
  made to wait a few milliseconds, not told they failed.

Mirrors ``shop/db/models.py``. Plain nullable ``ADD COLUMN``: no table rebuild on SQLite,
no long lock on PostgreSQL; older rows keep NULL (settled).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_lookup_pending"
down_revision = "0005_guessing_limits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("lookup_attempts", sa.Column("pending", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lookup_attempts") as batch:
        batch.drop_column("pending")
