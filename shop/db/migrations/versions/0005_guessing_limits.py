"""Identity-check failures counted across senders; handoff requests by client address.

Revision ID: 0005_guessing_limits
Revises: 0004_checkout
Create Date: 2026-12-02

- ``lookup_attempts.order_key`` / ``email_key`` / ``source_key``: keyed hashes of the order
  number, the email and the client address of each check, so failures are counted per
  order, per email and per address across all conversations and channels (``shop.identity``).
- ``handoff_requests.source_key``: the same hash of the address a request came from, so a
  flood of requests from one address is bounded (``shop.handoff``).

Mirrors ``shop/db/models.py``. Plain nullable ``ADD COLUMN`` and new indexes: no table
rebuild on SQLite, no long lock on PostgreSQL; older rows keep NULL keys.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_guessing_limits"
down_revision = "0004_checkout"
branch_labels = None
depends_on = None

LOOKUP_KEYS = ("order_key", "email_key", "source_key")


def upgrade() -> None:
    for column in LOOKUP_KEYS:
        op.add_column("lookup_attempts", sa.Column(column, sa.String(length=64), nullable=True))
        op.create_index(
            f"ix_lookup_attempts_{column.removesuffix('_key')}_time",
            "lookup_attempts",
            [column, "created_at"],
        )
    op.add_column("handoff_requests", sa.Column("source_key", sa.String(length=64), nullable=True))
    op.create_index("ix_handoff_requests_source_time", "handoff_requests", ["source_key", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_handoff_requests_source_time", table_name="handoff_requests")
    with op.batch_alter_table("handoff_requests") as batch:
        batch.drop_column("source_key")
    for column in LOOKUP_KEYS:
        op.drop_index(f"ix_lookup_attempts_{column.removesuffix('_key')}_time", table_name="lookup_attempts")
    with op.batch_alter_table("lookup_attempts") as batch:
        for column in LOOKUP_KEYS:
            batch.drop_column(column)
