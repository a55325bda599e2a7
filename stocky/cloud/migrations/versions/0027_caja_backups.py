"""caja backups: the snapshots cajas uploaded to the object storage

One row per uploaded snapshot: its key (made by the cloud from the device), size, sha256,
the newest outbox entry it holds and why it was taken. Tenant table with RLS; not in the
change feed (cajas list their own through /api/backups).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from stocky.cloud.schema_sql import rls_statements

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "caja_backups",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("device_id", sa.UUID(), nullable=False),
        sa.Column("sede_id", sa.UUID(), nullable=False),
        sa.Column("key", sa.String(length=900), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("last_op_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_op_id", sa.UUID(), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "sede_id"],
            ["sedes.tenant_id", "sedes.id"],
            name=op.f("fk_caja_backups_tenant_id_sede_id_sedes"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_caja_backups")),
        sa.UniqueConstraint("tenant_id", "key", name=op.f("uq_caja_backups_tenant_id_key")),
    )
    op.create_index(
        "ix_caja_backups_tenant_id_device_id_created_at",
        "caja_backups",
        ["tenant_id", "device_id", "created_at"],
    )
    op.create_index(
        "ix_caja_backups_tenant_id_sede_id_created_at",
        "caja_backups",
        ["tenant_id", "sede_id", "created_at"],
    )
    for statement in rls_statements("caja_backups"):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("caja_backups")
