"""drop what nothing writes or reads: transfers, devices.lan_rank, sedes.sync_version

Created by 0001 for features that were never built (issue 13 item 6). The transfers work
and the LAN work bring their own tables back, shaped by what they actually do. The devices
feed trigger of 0002 fires on a list of columns that named lan_rank, so it is recreated
without it first (a column in a trigger's list cannot be dropped).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from stocky.cloud.schema_sql import rls_statements

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The devices columns a caja keeps a copy of (0002's list, less lan_rank).
_DEVICE_COLUMNS = ("sede_id", "name", "status", "credential_hash", "revoked_at")


GRANT_AS_SEDES = """
DO $$
DECLARE
    grantee_name name;
BEGIN
    FOR grantee_name IN
        SELECT DISTINCT grantee FROM information_schema.role_table_grants
        WHERE table_schema = 'public' AND table_name = 'sedes' AND privilege_type = 'INSERT'
          AND grantee <> current_user
    LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON transfers TO %I', grantee_name);
    END LOOP;
END
$$
"""


def _devices_update_trigger(columns: tuple[str, ...]) -> list[str]:
    return [
        "DROP TRIGGER IF EXISTS devices_change_feed_update ON devices",
        f"CREATE TRIGGER devices_change_feed_update AFTER UPDATE OF {', '.join(columns)} "
        "ON devices FOR EACH ROW EXECUTE FUNCTION stocky_record_change('sede_id')",
    ]


def upgrade() -> None:
    op.drop_table("transfers")  # its RLS policy, feed triggers and index go with it
    for statement in _devices_update_trigger(_DEVICE_COLUMNS):
        op.execute(statement)
    op.drop_column("devices", "lan_rank")
    op.drop_column("sedes", "sync_version")


def downgrade() -> None:
    op.add_column(
        "sedes", sa.Column("sync_version", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "devices", sa.Column("lan_rank", sa.Integer(), server_default="0", nullable=False)
    )
    with_rank = ("sede_id", "name", "status", "lan_rank", "credential_hash", "revoked_at")
    for statement in _devices_update_trigger(with_rank):
        op.execute(statement)
    _create_transfers()


def _create_transfers() -> None:
    """The table as 0001 made it, with 0001's RLS and 0004's statement feed triggers."""
    op.create_table(
        "transfers",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("from_sede_id", sa.UUID(), nullable=False),
        sa.Column("to_sede_id", sa.UUID(), nullable=False),
        sa.Column("product_id", sa.UUID(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="pending", nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.UUID(), nullable=True),
        sa.Column("approved_by", sa.UUID(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'processing', 'completed', 'failed', 'rejected')",
            name=op.f("ck_transfers_status"),
        ),
        sa.CheckConstraint("from_sede_id <> to_sede_id", name=op.f("ck_transfers_distinct_sedes")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_transfers_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "from_sede_id"],
            ["sedes.tenant_id", "sedes.id"],
            name=op.f("fk_transfers_tenant_id_from_sede_id_sedes"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["products.tenant_id", "products.id"],
            name=op.f("fk_transfers_tenant_id_product_id_products"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "to_sede_id"],
            ["sedes.tenant_id", "sedes.id"],
            name=op.f("fk_transfers_tenant_id_to_sede_id_sedes"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_transfers")),
    )
    op.create_index(
        "ix_transfers_tenant_id_status", "transfers", ["tenant_id", "status"], unique=False
    )
    for statement in rls_statements("transfers"):
        op.execute(statement)
    # The app role got its grants on every table when the schema was upgraded
    # (stocky.cloud.migrate.ensure_app_role); a table made again here gets them from sedes'.
    op.execute(GRANT_AS_SEDES)
    scope = "'from_sede_id', 'to_sede_id'"
    for event, table in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
        suffix = {"INSERT": "", "UPDATE": "_update", "DELETE": "_delete"}[event]
        op.execute(
            f"CREATE TRIGGER transfers_change_feed{suffix} AFTER {event} ON transfers "
            f"REFERENCING {table} TABLE AS stocky_feed_source "
            f"FOR EACH STATEMENT EXECUTE FUNCTION stocky_record_changes({scope})"
        )
