"""approval PIN: a manager's 4-8 digits for approvals at the caja (issue 12)

users.pin_hash (argon2, NULL: none set). It reaches a sede's cajas with the user row, as the
password hash does: the users feed trigger of 0002 fires only on the columns a caja keeps,
so pin_hash joins its list (setting a PIN also bumps version, which the checksum counts).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("sede_id", "email", "name", "password_hash", "role", "active", "version")


def _update_trigger(columns: tuple[str, ...]) -> list[str]:
    return [
        "DROP TRIGGER IF EXISTS users_change_feed_update ON users",
        f"CREATE TRIGGER users_change_feed_update AFTER UPDATE OF {', '.join(columns)} ON users "
        "FOR EACH ROW EXECUTE FUNCTION stocky_record_change()",
    ]


def upgrade() -> None:
    op.add_column("users", sa.Column("pin_hash", sa.String(length=256), nullable=True))
    for statement in _update_trigger((*_COLUMNS, "pin_hash")):
        op.execute(statement)


def downgrade() -> None:
    for statement in _update_trigger(_COLUMNS):
        op.execute(statement)
    op.drop_column("users", "pin_hash")
