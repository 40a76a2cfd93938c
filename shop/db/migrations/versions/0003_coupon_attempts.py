"""Coupon attempts (brute-force throttle) and personal/public coupons.

Revision ID: 0003_coupon_attempts
Revises: 0002_pricing
Create Date: 2024-11-09

- ``coupon_attempts``: one row per failed code check of a conversation, read by
  ``shop.pricing.throttle.CodeAttemptThrottle``.
- ``coupons.public``: listed to every shopper asking for discounts.
- ``coupons.customer_id`` / ``coupons.offer_key``: personal codes (win-back, loyalty),
  unique per customer and offer so issuing them is idempotent.

Mirrors ``shop/db/pricing_models.py``. Works on SQLite and PostgreSQL (plain
``ADD COLUMN``, no table rebuild).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_coupon_attempts"
down_revision = "0002_pricing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coupon_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("attempted_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
    )
    op.create_index("ix_coupon_attempts_sender_time", "coupon_attempts", ["sender_id", "attempted_at"])
    op.add_column("coupons", sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false()))
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with a REFERENCES clause in place; Alembic would want a rebuild.
        op.execute("ALTER TABLE coupons ADD COLUMN customer_id INTEGER REFERENCES customers (id)")
    else:
        op.add_column("coupons", sa.Column("customer_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_coupons_customer_id", "coupons", "customers", ["customer_id"], ["id"])
    op.add_column("coupons", sa.Column("offer_key", sa.String(length=40), nullable=True))
    op.create_index("uq_coupons_customer_offer", "coupons", ["customer_id", "offer_key"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_coupons_customer_offer", table_name="coupons")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_coupons_customer_id", "coupons", type_="foreignkey")
    with op.batch_alter_table("coupons") as batch:
        batch.drop_column("offer_key")
        batch.drop_column("customer_id")
        batch.drop_column("public")
    op.drop_index("ix_coupon_attempts_sender_time", table_name="coupon_attempts")
    op.drop_table("coupon_attempts")
