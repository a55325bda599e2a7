"""server epoch function for sync cursors

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The epoch changes when the database is not the one that issued a cursor: a new cluster
# (restore from a dump: new system identifier), a point-in-time recovery (new timeline), a
# re-created database (new oid), or an operator's explicit reset (server_state.epoch).
EPOCH_FN = """
CREATE OR REPLACE FUNCTION stocky_server_epoch() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT substr(md5(
        s.epoch::text || ':' || (pg_control_system()).system_identifier::text || ':'
        || (pg_control_checkpoint()).timeline_id::text || ':' || d.oid::text
    ), 1, 16)
    FROM server_state s, pg_database d
    WHERE s.id = 1 AND d.datname = current_database()
$$;
"""


# Heartbeats and logins update these rows constantly; only what a caja keeps a copy of
# belongs in the change feed, or every ping would send a change to every sede.
QUIET_COLUMNS = {
    "sedes": ("name", "address", "timezone", "active", "config", "version"),
    "devices": ("sede_id", "name", "status", "lan_rank", "credential_hash", "revoked_at"),
    "users": ("sede_id", "email", "name", "password_hash", "role", "active", "version"),
}
SCOPES = {"sedes": "", "devices": "'sede_id'", "users": ""}


def _feed_triggers(table: str, columns: tuple[str, ...] | None) -> list[str]:
    scope = SCOPES[table]
    name = f"{table}_change_feed"
    statements = [f"DROP TRIGGER IF EXISTS {name} ON {table}"]
    if columns is None:
        statements.append(
            f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION stocky_record_change({scope})"
        )
        return statements
    statements.append(f"DROP TRIGGER IF EXISTS {name}_update ON {table}")
    statements.append(
        f"CREATE TRIGGER {name} AFTER INSERT OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION stocky_record_change({scope})"
    )
    statements.append(
        f"CREATE TRIGGER {name}_update AFTER UPDATE OF {', '.join(columns)} ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION stocky_record_change({scope})"
    )
    return statements


def upgrade() -> None:
    op.execute(EPOCH_FN)
    for table, columns in QUIET_COLUMNS.items():
        for statement in _feed_triggers(table, columns):
            op.execute(statement)


def downgrade() -> None:
    for table in QUIET_COLUMNS:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_change_feed_update ON {table}")
        for statement in _feed_triggers(table, None):
            op.execute(statement)
    op.execute("DROP FUNCTION IF EXISTS stocky_server_epoch()")
