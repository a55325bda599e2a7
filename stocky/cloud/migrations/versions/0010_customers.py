"""customers: who a receipt is made out to, picked at the caja (issue 12 item 12)

The tenant's customers (name, NIT/CC, optional email and phone), unique by tax id within a
tenant when one is given. Tenant-wide in the change feed (every sede's cajas pull them),
with the statement-level feed triggers of 0004. Not in the checksummed sync scope. A sale
keeps the id of the customer picked at the caja (sales.customer_id, no foreign key: the
sale stands as printed).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from stocky.cloud.schema_sql import rls_statements

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The per-statement feed triggers of 0004, scope none (the whole tenant).
FEED_TRIGGERS = [
    "CREATE TRIGGER customers_change_feed AFTER INSERT ON customers "
    "REFERENCING NEW TABLE AS stocky_feed_source "
    "FOR EACH STATEMENT EXECUTE FUNCTION stocky_record_changes()",
    "CREATE TRIGGER customers_change_feed_update AFTER UPDATE ON customers "
    "REFERENCING NEW TABLE AS stocky_feed_source "
    "FOR EACH STATEMENT EXECUTE FUNCTION stocky_record_changes()",
    "CREATE TRIGGER customers_change_feed_delete AFTER DELETE ON customers "
    "REFERENCING OLD TABLE AS stocky_feed_source "
    "FOR EACH STATEMENT EXECUTE FUNCTION stocky_record_changes()",
]


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("tax_id", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("last_modified_by", sa.UUID(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_customers_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_customers")),
        sa.UniqueConstraint("tenant_id", "tax_id", name=op.f("uq_customers_tenant_id_tax_id")),
    )
    op.create_index("ix_customers_tenant_id_name", "customers", ["tenant_id", "name"], unique=False)
    for statement in [*rls_statements("customers"), *FEED_TRIGGERS]:
        op.execute(statement)
    op.add_column("sales", sa.Column("customer_id", sa.UUID(), nullable=True))


def downgrade() -> None:
    op.drop_column("sales", "customer_id")
    op.drop_index("ix_customers_tenant_id_name", table_name="customers")
    op.drop_table("customers")
