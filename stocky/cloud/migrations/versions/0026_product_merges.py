"""product merges: which product each merged product now lives on

One row per merged product (the survivor, when, by whom, what moved). A caja's op that
still names a merged product is applied to its survivor through it. Tenant table with RLS;
not in the change feed (the merged product's deactivation is what the cajas pull).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from stocky.cloud.schema_sql import rls_statements

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "product_merges",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("merged_id", sa.UUID(), nullable=False),
        sa.Column("survivor_id", sa.UUID(), nullable=False),
        sa.Column(
            "merged_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("merged_by", sa.UUID(), nullable=True),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "merged_id"],
            ["products.tenant_id", "products.id"],
            name=op.f("fk_product_merges_tenant_id_merged_id_products"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "survivor_id"],
            ["products.tenant_id", "products.id"],
            name=op.f("fk_product_merges_tenant_id_survivor_id_products"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "merged_id", name=op.f("pk_product_merges")),
    )
    op.create_index(
        "ix_product_merges_tenant_id_survivor_id",
        "product_merges",
        ["tenant_id", "survivor_id"],
    )
    for statement in rls_statements("product_merges"):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("product_merges")
