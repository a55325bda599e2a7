"""sales list index: a tenant's sales newest first without a sede filter

GET /api/sales orders by (client_timestamp, id) descending. With a sede the existing
(tenant_id, sede_id, client_timestamp) index serves it; for an owner's all-sedes list this
one does, so a page reads its rows and not every sale of the tenant.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_sales_tenant_id_client_timestamp_id",
        "sales",
        ["tenant_id", "client_timestamp", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_sales_tenant_id_client_timestamp_id", table_name="sales")
