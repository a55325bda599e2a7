"""security definer functions: pg_temp last in their search_path

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# These run as the schema owner for any caller. With `search_path = public` PostgreSQL still
# searches pg_temp first (and pg_catalog implicitly), so a caller could shadow a table or an
# operator with a temporary object and run it with the owner's rights. Naming pg_temp last
# (PostgreSQL's own advice for SECURITY DEFINER) closes that.
DEFINER_FNS = (
    "stocky_login_candidates(text)",
    "stocky_find_activation_code(text)",
    "stocky_stale_sedes(timestamptz)",
)


def upgrade() -> None:
    for fn in DEFINER_FNS:
        op.execute(f"ALTER FUNCTION {fn} SET search_path = pg_catalog, public, pg_temp")


def downgrade() -> None:
    for fn in DEFINER_FNS:
        op.execute(f"ALTER FUNCTION {fn} SET search_path = public")
