"""money at the caja: cash movements, shifts (issue 12)

Cash put into or taken out of a drawer during a shift (`cash.movement` ops), so the cloud's
reconciliation of a shift's Z report sees every peso that moved. Not in the change feed: no
caja pulls another's drawer.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from stocky.cloud.schema_sql import rls_statements

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cash_movements",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("sede_id", sa.UUID(), nullable=False),
        sa.Column("device_id", sa.UUID(), nullable=False),
        sa.Column("shift_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("type", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("op_id", sa.UUID(), nullable=False),
        sa.Column("client_timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "server_timestamp",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("type IN ('in', 'out')", name=op.f("ck_cash_movements_type")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_cash_movements_amount_positive")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "sede_id"],
            ["sedes.tenant_id", "sedes.id"],
            name=op.f("fk_cash_movements_tenant_id_sede_id_sedes"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "shift_id"],
            ["shifts.tenant_id", "shifts.id"],
            name=op.f("fk_cash_movements_tenant_id_shift_id_shifts"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_cash_movements")),
    )
    op.create_index(
        "ix_cash_movements_tenant_id_shift_id",
        "cash_movements",
        ["tenant_id", "shift_id"],
        unique=False,
    )
    for statement in rls_statements("cash_movements"):
        op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_cash_movements_tenant_id_shift_id", table_name="cash_movements")
    op.drop_table("cash_movements")
