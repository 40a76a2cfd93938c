"""Checkout idempotency keys.

Revision ID: 0004_checkout
Revises: 0003_coupon_attempts
Create Date: 2024-11-16

- ``checkout_requests``: one row per placed order, keyed by the idempotency key the
  storefront puts into each checkout page, so a double submit or a retry after a timeout
  returns the first order (``shop.checkout``). ``discount_lines`` keeps the explained
  discounts shown on the confirmation.

Mirrors ``shop/db/checkout_models.py``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_checkout"
down_revision = "0003_coupon_attempts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkout_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("discount_lines", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("idempotency_key", name="uq_checkout_requests_key"),
        sa.UniqueConstraint("order_id", name="uq_checkout_requests_order"),
    )


def downgrade() -> None:
    op.drop_table("checkout_requests")
