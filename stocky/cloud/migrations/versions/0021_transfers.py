"""transfers: stock moved between two sedes by an approved job, with its lines

The request and its fate (pending, processing, completed, failed, rejected, cancelled);
the stock moves as transfer_out/transfer_in movements carrying the transfer id. Both tables
feed the change feed of both sedes (per-statement triggers, as 0004), so the cajas of each
store pull the transfers that concern them.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from stocky.cloud.schema_sql import rls_statements

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = "'pending', 'processing', 'completed', 'failed', 'rejected', 'cancelled'"


def _feed_triggers(table: str) -> list[str]:
    scope = "'from_sede_id', 'to_sede_id'"
    return [
        f"CREATE TRIGGER {table}_change_feed{suffix} AFTER {event} ON {table} "
        f"REFERENCING {source} TABLE AS stocky_feed_source "
        f"FOR EACH STATEMENT EXECUTE FUNCTION stocky_record_changes({scope})"
        for event, source, suffix in (
            ("INSERT", "NEW", ""),
            ("UPDATE", "NEW", "_update"),
            ("DELETE", "OLD", "_delete"),
        )
    ]


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    if nullable:
        return sa.Column(name, sa.DateTime(timezone=True), nullable=True)
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "transfers",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("from_sede_id", sa.UUID(), nullable=False),
        sa.Column("to_sede_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="pending", nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("failure_code", sa.String(length=30), nullable=True),
        sa.Column("shortages", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("requested_by", sa.UUID(), nullable=True),
        sa.Column("requested_by_name", sa.String(length=200), nullable=True),
        _timestamp("requested_at"),
        sa.Column("decided_by", sa.UUID(), nullable=True),
        sa.Column("decided_by_name", sa.String(length=200), nullable=True),
        _timestamp("decided_at", nullable=True),
        _timestamp("completed_at", nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.CheckConstraint(f"status IN ({STATUSES})", name=op.f("ck_transfers_status")),
        sa.CheckConstraint("from_sede_id <> to_sede_id", name=op.f("ck_transfers_distinct_sedes")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "from_sede_id"],
            ["sedes.tenant_id", "sedes.id"],
            name=op.f("fk_transfers_tenant_id_from_sede_id_sedes"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "to_sede_id"],
            ["sedes.tenant_id", "sedes.id"],
            name=op.f("fk_transfers_tenant_id_to_sede_id_sedes"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_transfers")),
    )
    op.create_index(
        "ix_transfers_tenant_id_created_at_id", "transfers", ["tenant_id", "created_at", "id"]
    )
    op.create_index("ix_transfers_tenant_id_status", "transfers", ["tenant_id", "status"])
    op.create_index(
        "ix_transfers_tenant_id_from_sede_id", "transfers", ["tenant_id", "from_sede_id"]
    )
    op.create_index("ix_transfers_tenant_id_to_sede_id", "transfers", ["tenant_id", "to_sede_id"])
    op.create_table(
        "transfer_lines",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("transfer_id", sa.UUID(), nullable=False),
        sa.Column("from_sede_id", sa.UUID(), nullable=False),
        sa.Column("to_sede_id", sa.UUID(), nullable=False),
        sa.Column("product_id", sa.UUID(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_transfer_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "transfer_id"],
            ["transfers.tenant_id", "transfers.id"],
            name=op.f("fk_transfer_lines_tenant_id_transfer_id_transfers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["products.tenant_id", "products.id"],
            name=op.f("fk_transfer_lines_tenant_id_product_id_products"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_transfer_lines")),
        sa.UniqueConstraint(
            "tenant_id",
            "transfer_id",
            "product_id",
            name=op.f("uq_transfer_lines_tenant_id_transfer_id_product_id"),
        ),
    )
    # A movement's transfer: the detail lists what its job wrote.
    op.create_index(
        "ix_transactions_tenant_id_transfer_id",
        "transactions",
        ["tenant_id", "transfer_id"],
        postgresql_where=sa.text("transfer_id IS NOT NULL"),
    )
    for table in ("transfers", "transfer_lines"):
        for statement in [*rls_statements(table), *_feed_triggers(table)]:
            op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_transactions_tenant_id_transfer_id", table_name="transactions")
    op.drop_table("transfer_lines")
    op.drop_table("transfers")
