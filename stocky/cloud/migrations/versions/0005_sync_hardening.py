"""sync hardening: a clock offset of any size

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


def downgrade() -> None:
    op.execute(
        "UPDATE devices SET clock_offset_ms = NULL "
        "WHERE clock_offset_ms NOT BETWEEN -2147483648 AND 2147483647"
    )
    op.alter_column("devices", "clock_offset_ms", type_=sa.Integer(), existing_nullable=True)
