"""presence: find silent sedes across tenants

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The presence job runs outside any request, so no tenant is set and RLS hides every sede.
# This function (run as the owner) returns only the ids of sedes still marked online whose
# last ping is older than the cutoff; the job then updates each one as the app role inside
# that tenant's transaction, so the write itself stays under RLS.
STALE_SEDES_FN = """
CREATE OR REPLACE FUNCTION stocky_stale_sedes(p_cutoff timestamptz)
RETURNS TABLE (tenant_id uuid, sede_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT s.tenant_id, s.id FROM sedes s
    WHERE s.is_online AND (s.last_ping_at IS NULL OR s.last_ping_at < p_cutoff)
$$;
"""


def upgrade() -> None:
    op.execute(STALE_SEDES_FN)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS stocky_stale_sedes(timestamptz)")
