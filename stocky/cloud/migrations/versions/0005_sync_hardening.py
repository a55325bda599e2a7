"""sync hardening: a clock offset of any size, counts that match the shelf

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A caja whose clock reset to 2000 is ~8e11 ms off: far past a 32-bit integer, which made
    # every push and ping of that caja fail for ever.
    op.alter_column("devices", "clock_offset_ms", type_=sa.BigInteger(), existing_nullable=True)
    # A physical count records every counted line, 0 where the shelf matched (the caja
    # sends the whole count as one document; refusing its zero lines lost the whole count).
    op.drop_constraint(op.f("ck_transactions_quantity_non_zero"), "transactions", type_="check")
    op.create_check_constraint(
        op.f("ck_transactions_quantity_non_zero"),
        "transactions",
        "quantity <> 0 OR type = 'adjustment'",
    )


def downgrade() -> None:
    op.execute("DELETE FROM transactions WHERE quantity = 0")
    op.drop_constraint(op.f("ck_transactions_quantity_non_zero"), "transactions", type_="check")
    op.create_check_constraint(
        op.f("ck_transactions_quantity_non_zero"), "transactions", "quantity <> 0"
    )
    op.execute(
        "UPDATE devices SET clock_offset_ms = NULL "
        "WHERE clock_offset_ms NOT BETWEEN -2147483648 AND 2147483647"
    )
    op.alter_column("devices", "clock_offset_ms", type_=sa.Integer(), existing_nullable=True)
