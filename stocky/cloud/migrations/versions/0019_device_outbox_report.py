"""device outbox report: what each caja still has to push, as its last ping said

A caja's outbox lives only at the caja; the owner's dashboard and the cajas screen show its
pending ops (and those stuck after many failed tries) as the caja reported them with its
ping, and when.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("devices", sa.Column("pending_ops", sa.Integer(), nullable=True))
    op.add_column("devices", sa.Column("stuck_ops", sa.Integer(), nullable=True))
    op.add_column(
        "devices", sa.Column("outbox_reported_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("devices", "outbox_reported_at")
    op.drop_column("devices", "stuck_ops")
    op.drop_column("devices", "pending_ops")
