"""receipts: per-caja receipt prefixes (issue 12)

Each device gets a per-tenant caja number, its receipt prefix C01, C02, ... (see
stocky.core.receipts), so two cajas never print the same receipt number. A BEFORE INSERT
trigger assigns the next number under a per-tenant advisory lock, so every way a device is
inserted gets one atomically; the unique constraint is the backstop. Existing devices are
numbered in activation order. Sales keep the prefix their receipt was printed with;
existing sales take their device's.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Runs as the inserting role (RLS applies: it sees its own tenant's devices, the ones that
# matter). The lock waits for a concurrent activation of the same tenant to commit; the
# next statement's snapshot (READ COMMITTED) then sees its number.
ASSIGN_FN = """
CREATE FUNCTION stocky_assign_caja_number() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF NEW.caja_number IS NULL THEN
        PERFORM pg_advisory_xact_lock(
            hashtextextended('stocky.devices.caja_number:' || NEW.tenant_id::text, 0));
        SELECT coalesce(max(caja_number), 0) + 1 INTO NEW.caja_number
        FROM devices WHERE tenant_id = NEW.tenant_id;
    END IF;
    RETURN NEW;
END
$$
"""


def upgrade() -> None:
    op.add_column("devices", sa.Column("caja_number", sa.Integer(), nullable=True))
    op.execute(
        """
        UPDATE devices d SET caja_number = n.caja_number
        FROM (SELECT tenant_id, id, row_number() OVER (
                  PARTITION BY tenant_id ORDER BY activated_at, id) AS caja_number
              FROM devices) n
        WHERE d.tenant_id = n.tenant_id AND d.id = n.id
        """
    )
    op.alter_column("devices", "caja_number", nullable=False)
    op.create_unique_constraint(
        op.f("uq_devices_tenant_id_caja_number"), "devices", ["tenant_id", "caja_number"]
    )
    op.create_check_constraint(
        op.f("ck_devices_caja_number_positive"), "devices", "caja_number > 0"
    )
    op.execute(ASSIGN_FN)
    op.execute(
        "CREATE TRIGGER devices_assign_caja_number BEFORE INSERT ON devices"
        " FOR EACH ROW EXECUTE FUNCTION stocky_assign_caja_number()"
    )
    op.add_column("sales", sa.Column("receipt_prefix", sa.String(length=8), nullable=True))
    op.execute(
        """
        UPDATE sales s SET receipt_prefix = 'C'
            || CASE WHEN d.caja_number < 10 THEN '0' ELSE '' END || d.caja_number::text
        FROM devices d
        WHERE d.tenant_id = s.tenant_id AND d.id = s.device_id
        """
    )


def downgrade() -> None:
    op.drop_column("sales", "receipt_prefix")
    op.execute("DROP TRIGGER devices_assign_caja_number ON devices")
    op.execute("DROP FUNCTION stocky_assign_caja_number()")
    op.drop_constraint(op.f("ck_devices_caja_number_positive"), "devices", type_="check")
    op.drop_constraint(op.f("uq_devices_tenant_id_caja_number"), "devices", type_="unique")
    op.drop_column("devices", "caja_number")
