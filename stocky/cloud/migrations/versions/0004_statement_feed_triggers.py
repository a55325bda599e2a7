"""change feed written once per statement (transition tables), not once per row

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables whose feed trigger fires on every column (sedes, devices and users keep their
# per-row triggers from 0002: a trigger with a column list cannot have transition tables),
# with the columns that scope a change to sedes (none: the whole tenant).
TABLES: dict[str, tuple[str, ...]] = {
    "products": (),
    "product_barcodes": (),
    "inventory": ("sede_id",),
    "transactions": ("sede_id",),
    "sales": ("sede_id",),
    "shifts": ("sede_id",),
    "transfers": ("from_sede_id", "to_sede_id"),
}

# The same rows stocky_record_change() writes, for all the rows a statement touched in one
# INSERT ... SELECT: a sync push of 50 sales wrote 150 feed rows through 150 trigger calls.
# Rows keep the statement's order, and for a row scoped to several sedes one change per
# sede in argument order, as the per-row trigger did; xid and id come from the defaults.
RECORD_CHANGES_FN = """
CREATE OR REPLACE FUNCTION stocky_record_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    change_op text := CASE WHEN TG_OP = 'DELETE' THEN 'delete' ELSE 'upsert' END;
BEGIN
    INSERT INTO changes (tenant_id, sede_id, entity, entity_id, op, version, data)
    SELECT (t.r->>'tenant_id')::uuid,
           CASE WHEN TG_NARGS = 0 THEN NULL ELSE (t.r->>s.scope)::uuid END,
           TG_TABLE_NAME,
           coalesce(t.r->>'id', t.r->>'barcode',
                    concat_ws(':', t.r->>'sede_id', t.r->>'product_id')),
           change_op,
           (t.r->>'version')::bigint,
           t.r
    FROM (
        SELECT row_number() OVER () AS n, to_jsonb(x) AS r FROM stocky_feed_source x
    ) AS t
    CROSS JOIN unnest(CASE WHEN TG_NARGS = 0 THEN ARRAY[NULL]::text[] ELSE TG_ARGV END)
        WITH ORDINALITY AS s(scope, k)
    ORDER BY t.n, s.k;
    RETURN NULL;
END
$$;
"""


def _scope_args(scope: tuple[str, ...]) -> str:
    return ", ".join(f"'{col}'" for col in scope)


def _statement_triggers(table: str, scope: tuple[str, ...]) -> list[str]:
    args = _scope_args(scope)
    name = f"{table}_change_feed"
    return [
        f"DROP TRIGGER IF EXISTS {name} ON {table}",
        f"CREATE TRIGGER {name} AFTER INSERT ON {table} "
        "REFERENCING NEW TABLE AS stocky_feed_source "
        f"FOR EACH STATEMENT EXECUTE FUNCTION stocky_record_changes({args})",
        f"CREATE TRIGGER {name}_update AFTER UPDATE ON {table} "
        "REFERENCING NEW TABLE AS stocky_feed_source "
        f"FOR EACH STATEMENT EXECUTE FUNCTION stocky_record_changes({args})",
        f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} "
        "REFERENCING OLD TABLE AS stocky_feed_source "
        f"FOR EACH STATEMENT EXECUTE FUNCTION stocky_record_changes({args})",
    ]


def _row_triggers(table: str, scope: tuple[str, ...]) -> list[str]:
    """The per-row trigger of 0001, as it was."""
    name = f"{table}_change_feed"
    return [
        f"DROP TRIGGER IF EXISTS {name} ON {table}",
        f"DROP TRIGGER IF EXISTS {name}_update ON {table}",
        f"DROP TRIGGER IF EXISTS {name}_delete ON {table}",
        f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION stocky_record_change({_scope_args(scope)})",
    ]


def upgrade() -> None:
    op.execute(RECORD_CHANGES_FN)
    for table, scope in TABLES.items():
        for statement in _statement_triggers(table, scope):
            op.execute(statement)


def downgrade() -> None:
    for table, scope in TABLES.items():
        for statement in _row_triggers(table, scope):
            op.execute(statement)
    op.execute("DROP FUNCTION IF EXISTS stocky_record_changes()")
