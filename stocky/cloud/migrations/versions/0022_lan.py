"""lan: each tenant's certificate authority and each sede's LAN master lease

The cajas of a sede talk over mutual TLS with certificates of their tenant's own CA
(tenant_cas, made on first use); one caja at a time is the sede's master, under a lease
whose epoch fences a stale master's pushes (sede_lan_leases). Neither is in the change
feed: cajas ask for them directly.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from stocky.cloud.schema_sql import rls_statements

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tenant_cas",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("key_pem", sa.Text(), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_tenant_cas_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_tenant_cas")),
    )
    op.create_table(
        "sede_lan_leases",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("sede_id", sa.UUID(), nullable=False),
        sa.Column("device_id", sa.UUID(), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("epoch >= 0", name=op.f("ck_sede_lan_leases_epoch_not_negative")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "sede_id"],
            ["sedes.tenant_id", "sedes.id"],
            name=op.f("fk_sede_lan_leases_tenant_id_sede_id_sedes"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "device_id"],
            ["devices.tenant_id", "devices.id"],
            name=op.f("fk_sede_lan_leases_tenant_id_device_id_devices"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "sede_id", name=op.f("pk_sede_lan_leases")),
    )
    for table in ("tenant_cas", "sede_lan_leases"):
        for statement in rls_statements(table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("sede_lan_leases")
    op.drop_table("tenant_cas")
