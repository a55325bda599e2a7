"""user language, and what the sync log viewer reads (issue 14)

users.language: the admin's language per user ('es' by default, or 'en'). Not in the users
feed trigger's column list (0012): a caja does not need it, and a change to it alone bumps
version, which the trigger does list, so the caja's checksum still agrees.

sync_ops.client_ts: the caja's clock when it recorded the op (the op's client_ts), kept for
the sync log viewer beside the server's created_at; NULL for ops pushed before this. The
index serves GET /api/sync/logs across sedes, newest first.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("language", sa.Text(), server_default="es", nullable=False),
    )
    op.create_check_constraint(op.f("ck_users_language"), "users", "language IN ('es', 'en')")
    op.add_column("sync_ops", sa.Column("client_ts", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_sync_ops_tenant_id_created_at_op_id",
        "sync_ops",
        ["tenant_id", "created_at", "op_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_sync_ops_tenant_id_created_at_op_id", table_name="sync_ops")
    op.drop_column("sync_ops", "client_ts")
    op.drop_constraint(op.f("ck_users_language"), "users", type_="check")
    op.drop_column("users", "language")
