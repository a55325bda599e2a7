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


def upgrade() -> None:
    op.execute(EPOCH_FN)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS stocky_server_epoch()")
