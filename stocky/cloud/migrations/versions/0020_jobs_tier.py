"""jobs tier: procrastinate's tables and functions in the cloud's database

Jobs live beside the state they act on, so a request defers its job in its own transaction
(stocky.cloud.jobs.defer). The schema is procrastinate's own for the pinned minor version
(pyproject: procrastinate>=3.10,<3.11); upgrading procrastinate adds a migration applying
its sql/migrations files. Not tenant-scoped: a job names its tenant in its arguments, and
only workers and the defer call touch these tables.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op
from procrastinate.schema import SchemaManager

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # exec_driver_sql: the schema's colons are not parameters; its % signs are doubled
    # because the driver still reads the text as a parameterised query.
    op.get_bind().exec_driver_sql(SchemaManager.get_schema().replace("%", "%%"))


def downgrade() -> None:
    op.get_bind().exec_driver_sql(
        """
        DO $$
        DECLARE r record;
        BEGIN
            FOR r IN SELECT oid::regprocedure AS fn FROM pg_proc
                     WHERE proname LIKE 'procrastinate\\_%%'
                       AND pronamespace = 'public'::regnamespace
            LOOP
                EXECUTE 'DROP FUNCTION IF EXISTS ' || r.fn || ' CASCADE';
            END LOOP;
        END $$;
        DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers,
            procrastinate_jobs, procrastinate_workers, procrastinate_version CASCADE;
        DROP TYPE IF EXISTS procrastinate_job_event_type, procrastinate_job_status,
            procrastinate_job_to_defer_v1 CASCADE;
        """
    )
