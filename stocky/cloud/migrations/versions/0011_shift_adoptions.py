"""shift adoptions: every sale belongs to exactly one shift (issue 12)

A caja may sell with no shift open (a card sale under the "cash" policy); the next shift it
opens adopts those sales, and its `shift.open` op names them. The cloud keeps each adoption
(sale -> shift, for the caja that made the sale) and gives the sale that shift whether it
landed before the shift.open op (set by the applier) or lands after it (a row trigger on
sales, which fires only for a sale that arrives with no shift). Not in the change feed.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from stocky.cloud.schema_sql import rls_statements

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ADOPTED_SHIFT_FN = """
CREATE FUNCTION stocky_adopted_shift() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    SELECT a.shift_id INTO NEW.shift_id FROM shift_adoptions AS a
    WHERE a.tenant_id = NEW.tenant_id AND a.sale_id = NEW.id AND a.device_id = NEW.device_id;
    RETURN NEW;
END
$$
"""
ADOPTED_SHIFT_TRIGGER = (
    "CREATE TRIGGER sales_adopted_shift BEFORE INSERT ON sales FOR EACH ROW "
    "WHEN (NEW.shift_id IS NULL) EXECUTE FUNCTION stocky_adopted_shift()"
)


def upgrade() -> None:
    op.create_table(
        "shift_adoptions",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("sale_id", sa.UUID(), nullable=False),
        sa.Column("shift_id", sa.UUID(), nullable=False),
        sa.Column("device_id", sa.UUID(), nullable=False),
        sa.Column(
            "server_timestamp",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "shift_id"],
            ["shifts.tenant_id", "shifts.id"],
            name=op.f("fk_shift_adoptions_tenant_id_shift_id_shifts"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "sale_id", name=op.f("pk_shift_adoptions")),
    )
    op.create_index(
        "ix_shift_adoptions_tenant_id_shift_id",
        "shift_adoptions",
        ["tenant_id", "shift_id"],
        unique=False,
    )
    for statement in [*rls_statements("shift_adoptions"), ADOPTED_SHIFT_FN, ADOPTED_SHIFT_TRIGGER]:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER sales_adopted_shift ON sales")
    op.execute("DROP FUNCTION stocky_adopted_shift()")
    op.drop_index("ix_shift_adoptions_tenant_id_shift_id", table_name="shift_adoptions")
    op.drop_table("shift_adoptions")
