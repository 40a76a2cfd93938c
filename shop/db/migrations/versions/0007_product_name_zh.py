"""Products get a Chinese display name.

Revision ID: 0007_product_name_zh
Revises: 0006_lookup_pending
Create Date: 2026-12-02

- ``products.name_zh``: the name a Chinese-speaking shopper is shown (``shop.catalog_rows.
  display_name``), from the merchant import's optional ``name_zh`` column or, for the demo
  catalog, from the glossary (``shop.catalog_i18n.chinese_name``). NULL: no Chinese name,
  the English one is shown. Chinese queries also match it (``shop.catalog_zh``).

Mirrors ``shop/db/models.py``. Plain nullable ``ADD COLUMN``: no table rebuild on SQLite,
no long lock on PostgreSQL; existing products keep NULL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_product_name_zh"
down_revision = "0006_lookup_pending"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("products", sa.Column("name_zh", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.drop_column("name_zh")
