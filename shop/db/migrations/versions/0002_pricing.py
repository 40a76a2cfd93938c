"""Pricing: carts, cart lines, promotions, coupons, coupon redemptions.

Revision ID: 0002_pricing
Revises: 0001_orders
Create Date: 2024-11-02

Mirrors ``shop/db/pricing_models.py``. Works on SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_pricing"
down_revision = "0001_orders"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=12, scale=2)


def upgrade() -> None:
    op.create_table(
        "carts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id"), nullable=True),
        sa.Column("sender_id", sa.String(length=255), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("customer_id"),
        sa.UniqueConstraint("sender_id"),
    )
    op.create_table(
        "cart_lines",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("cart_id", sa.Integer(), sa.ForeignKey("carts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("product_id", sa.Integer(), sa.ForeignKey("products.id"), nullable=False),
        sa.Column("variant_id", sa.Integer(), sa.ForeignKey("product_variants.id"), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.UniqueConstraint("cart_id", "product_id", "variant_id", name="uq_cart_lines_variant"),
        sa.CheckConstraint("quantity > 0", name="ck_cart_lines_quantity_positive"),
    )
    op.create_index("ix_cart_lines_cart_id", "cart_lines", ["cart_id"])
    op.create_index(
        "uq_cart_lines_no_variant",
        "cart_lines",
        ["cart_id", "product_id"],
        unique=True,
        sqlite_where=sa.text("variant_id IS NULL"),
        postgresql_where=sa.text("variant_id IS NULL"),
    )
    op.create_table(
        "promotions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("product_ids", sa.JSON(), nullable=False),
        sa.Column("buy_quantity", sa.Integer(), nullable=False),
        sa.Column("get_quantity", sa.Integer(), nullable=False),
        sa.Column("min_subtotal", MONEY, nullable=True),
        sa.Column("starts_at", sa.DateTime(), nullable=True),
        sa.Column("ends_at", sa.DateTime(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('percentage', 'buy_x_get_y', 'fixed', 'spend_threshold', 'free_shipping')",
            name="ck_promotions_kind",
        ),
    )
    op.create_table(
        "coupons",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("min_subtotal", MONEY, nullable=True),
        sa.Column("min_quantity", sa.Integer(), nullable=True),
        sa.Column("include_products", sa.JSON(), nullable=False),
        sa.Column("include_categories", sa.JSON(), nullable=False),
        sa.Column("exclude_products", sa.JSON(), nullable=False),
        sa.Column("exclude_categories", sa.JSON(), nullable=False),
        sa.Column("first_order_only", sa.Boolean(), nullable=False),
        sa.Column("requires_customer", sa.Boolean(), nullable=False),
        sa.Column("usage_limit", sa.Integer(), nullable=True),
        sa.Column("usage_count", sa.Integer(), nullable=False),
        sa.Column("per_customer_limit", sa.Integer(), nullable=True),
        sa.Column("single_use", sa.Boolean(), nullable=False),
        sa.Column("stackable", sa.Boolean(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("code"),
        sa.CheckConstraint("kind IN ('percentage', 'fixed', 'free_shipping')", name="ck_coupons_kind"),
        sa.CheckConstraint("usage_count >= 0", name="ck_coupons_usage_count"),
        sa.CheckConstraint("code = upper(code)", name="ck_coupons_code_upper"),
    )
    op.create_table(
        "coupon_redemptions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("coupon_id", sa.Integer(), sa.ForeignKey("coupons.id"), nullable=False),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id"), nullable=True),
        sa.Column("customer_slot", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("redeemed_at", sa.DateTime(), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.Column("terms_json", sa.JSON(), nullable=False),
        sa.UniqueConstraint("coupon_id", "order_id", name="uq_coupon_redemptions_order"),
        sa.UniqueConstraint("coupon_id", "customer_slot", name="uq_coupon_redemptions_customer"),
    )
    op.create_index("ix_coupon_redemptions_order_id", "coupon_redemptions", ["order_id"])
    op.create_index("ix_coupon_redemptions_customer", "coupon_redemptions", ["customer_id", "coupon_id"])


def downgrade() -> None:
    op.drop_index("ix_coupon_redemptions_customer", table_name="coupon_redemptions")
    op.drop_index("ix_coupon_redemptions_order_id", table_name="coupon_redemptions")
    op.drop_table("coupon_redemptions")
    op.drop_table("coupons")
    op.drop_table("promotions")
    op.drop_index("uq_cart_lines_no_variant", table_name="cart_lines")
    op.drop_index("ix_cart_lines_cart_id", table_name="cart_lines")
    op.drop_table("cart_lines")
    op.drop_table("carts")
