"""the counter: voided sales, parked carts, the sale's customer and discount approver (issue 12)

Sales carry the customer printed on the receipt (name, NIT/CC) and the manager who approved
a discount above the caja policy's limit, all optional (older payloads have none).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("sales", sa.Column("customer_name", sa.String(200), nullable=True))
    op.add_column("sales", sa.Column("customer_tax_id", sa.String(40), nullable=True))
    op.add_column("sales", sa.Column("discount_approved_by", sa.UUID(), nullable=True))


def downgrade() -> None:
    op.drop_column("sales", "discount_approved_by")
    op.drop_column("sales", "customer_tax_id")
    op.drop_column("sales", "customer_name")
