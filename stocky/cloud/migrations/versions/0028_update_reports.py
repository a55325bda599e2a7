"""update reports: how each caja's signed updates went

One row per report a caja sends after an update: installed (its health check passed) or
rolled back (with the reason). Tenant table with RLS; not in the change feed.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from stocky.cloud.schema_sql import rls_statements

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "update_reports",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("sede_id", sa.UUID(), nullable=False),
        sa.Column("device_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("previous_version", sa.String(length=40), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("happened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "outcome IN ('installed', 'rolled_back')", name=op.f("ck_update_reports_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "sede_id"],
            ["sedes.tenant_id", "sedes.id"],
            name=op.f("fk_update_reports_tenant_id_sede_id_sedes"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "device_id"],
            ["devices.tenant_id", "devices.id"],
            name=op.f("fk_update_reports_tenant_id_device_id_devices"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_update_reports")),
    )
    op.create_index(
        "ix_update_reports_tenant_id_received_at", "update_reports", ["tenant_id", "received_at"]
    )
    for statement in rls_statements("update_reports"):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("update_reports")
