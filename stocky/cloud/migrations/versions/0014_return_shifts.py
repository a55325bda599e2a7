"""return shifts: the cloud keeps each return's refunds and the shift they came out of

A return's refunds by method (ReturnHeader.refunds) had no home in the cloud but the op's
stored payload, so a shift's Z check could not count them. `refunds` holds one row per
(return, method) with the shift whose drawer paid it (nullable: the caja had none open).
Adoption (0011) now covers returns too: shift_adoptions gains a `kind` (sale | return) and
its `sale_id` becomes `adopted_id`; a return's refunds get the adopting shift whether they
landed before the shift.open op (set by the applier) or land after it (a row trigger on
refunds, which fires only for a refund that arrives with no shift). Not in the change feed.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from stocky.cloud.schema_sql import rls_statements

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LOOKUP = """
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    SELECT a.shift_id INTO NEW.shift_id FROM shift_adoptions AS a
    WHERE a.tenant_id = NEW.tenant_id AND {match} AND a.device_id = NEW.device_id;
    RETURN NEW;
END
$$
"""
# The sales trigger of 0011 keeps its name and its WHEN; only the lookup's columns change.
SALE_SHIFT_FN = _LOOKUP.format(
    name="stocky_adopted_shift", match="a.kind = 'sale' AND a.adopted_id = NEW.id"
)
SALE_SHIFT_FN_0011 = _LOOKUP.format(name="stocky_adopted_shift", match="a.sale_id = NEW.id")
RETURN_SHIFT_FN = _LOOKUP.format(
    name="stocky_adopted_return_shift", match="a.kind = 'return' AND a.adopted_id = NEW.return_id"
)
RETURN_SHIFT_TRIGGER = (
    "CREATE TRIGGER refunds_adopted_shift BEFORE INSERT ON refunds FOR EACH ROW "
    "WHEN (NEW.shift_id IS NULL) EXECUTE FUNCTION stocky_adopted_return_shift()"
)


def upgrade() -> None:
    op.alter_column("shift_adoptions", "sale_id", new_column_name="adopted_id")
    op.add_column(
        "shift_adoptions",
        sa.Column("kind", sa.String(length=6), server_default="sale", nullable=False),
    )
    op.alter_column("shift_adoptions", "kind", server_default=None)
    op.create_check_constraint(
        op.f("ck_shift_adoptions_kind"), "shift_adoptions", "kind IN ('sale', 'return')"
    )
    op.drop_constraint("pk_shift_adoptions", "shift_adoptions", type_="primary")
    op.create_primary_key(
        "pk_shift_adoptions", "shift_adoptions", ["tenant_id", "kind", "adopted_id"]
    )
    op.execute(SALE_SHIFT_FN)
    op.create_table(
        "refunds",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("return_id", sa.UUID(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("sale_id", sa.UUID(), nullable=False),
        sa.Column("sede_id", sa.UUID(), nullable=False),
        sa.Column("device_id", sa.UUID(), nullable=False),
        sa.Column("shift_id", sa.UUID(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("op_id", sa.UUID(), nullable=False),
        sa.Column("client_timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "server_timestamp",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "method IN ('cash', 'card', 'transfer')", name=op.f("ck_refunds_method")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_refunds_amount_positive")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "sede_id"],
            ["sedes.tenant_id", "sedes.id"],
            name=op.f("fk_refunds_tenant_id_sede_id_sedes"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "return_id", "method", name=op.f("pk_refunds")),
    )
    op.create_index(
        "ix_refunds_tenant_id_shift_id", "refunds", ["tenant_id", "shift_id"], unique=False
    )
    for statement in [*rls_statements("refunds"), RETURN_SHIFT_FN, RETURN_SHIFT_TRIGGER]:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER refunds_adopted_shift ON refunds")
    op.execute("DROP FUNCTION stocky_adopted_return_shift()")
    op.drop_index("ix_refunds_tenant_id_shift_id", table_name="refunds")
    op.drop_table("refunds")
    op.execute("DELETE FROM shift_adoptions WHERE kind <> 'sale'")
    op.drop_constraint("pk_shift_adoptions", "shift_adoptions", type_="primary")
    op.drop_constraint(op.f("ck_shift_adoptions_kind"), "shift_adoptions", type_="check")
    op.drop_column("shift_adoptions", "kind")
    op.alter_column("shift_adoptions", "adopted_id", new_column_name="sale_id")
    op.create_primary_key("pk_shift_adoptions", "shift_adoptions", ["tenant_id", "sale_id"])
    op.execute(SALE_SHIFT_FN_0011)
