"""reconciliation: findings of the shift, stock, clock and rejected-ops checks

One row per finding (shift_gap, stock_drift, clock_skew, rejected_ops), at most one
unresolved per (tenant, kind, subject) so every check upserts it. Not in the change feed.
The periodic check runs outside any tenant: stocky_reconciliation_tenants() (run as the
owner) gives it the tenant ids only, and it then works inside each tenant's transaction as
the app role, under RLS, like the presence sweep (0003).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from stocky.cloud.schema_sql import rls_statements

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = "'shift_gap', 'stock_drift', 'clock_skew', 'rejected_ops'"
STATUSES = "'open', 'acknowledged', 'resolved'"
UNRESOLVED = sa.text("status <> 'resolved'")

TENANTS_FN = """
CREATE OR REPLACE FUNCTION stocky_reconciliation_tenants()
RETURNS TABLE (tenant_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT t.id FROM tenants t ORDER BY t.id
$$;
"""


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    if nullable:
        return sa.Column(name, sa.DateTime(timezone=True), nullable=True)
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "reconciliation_findings",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("sede_id", sa.UUID(), nullable=False),
        sa.Column("device_id", sa.UUID(), nullable=True),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="open", nullable=False),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        _timestamp("detected_at"),
        _timestamp("updated_at"),
        _timestamp("resolved_at", nullable=True),
        sa.Column("acknowledged_by", sa.UUID(), nullable=True),
        _timestamp("acknowledged_at", nullable=True),
        sa.Column("ack_note", sa.Text(), nullable=True),
        sa.CheckConstraint(f"kind IN ({KINDS})", name=op.f("ck_reconciliation_findings_kind")),
        sa.CheckConstraint(
            f"status IN ({STATUSES})", name=op.f("ck_reconciliation_findings_status")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "sede_id"],
            ["sedes.tenant_id", "sedes.id"],
            name=op.f("fk_reconciliation_findings_tenant_id_sede_id_sedes"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_reconciliation_findings")),
    )
    op.create_index(
        "uq_reconciliation_findings_unresolved_subject",
        "reconciliation_findings",
        ["tenant_id", "kind", "subject"],
        unique=True,
        postgresql_where=UNRESOLVED,
    )
    op.create_index(
        "ix_reconciliation_findings_tenant_id_detected_at_id",
        "reconciliation_findings",
        ["tenant_id", "detected_at", "id"],
    )
    op.create_index(
        "ix_reconciliation_findings_unresolved_sede",
        "reconciliation_findings",
        ["tenant_id", "sede_id", "kind"],
        postgresql_where=UNRESOLVED,
    )
    for statement in rls_statements("reconciliation_findings"):
        op.execute(statement)
    op.execute(TENANTS_FN)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS stocky_reconciliation_tenants()")
    op.drop_table("reconciliation_findings")
