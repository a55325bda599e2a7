"""ai normalizer: runs over a tenant's catalog and the suggestions they store

ai_runs (status queued|running|done|failed, processed of total) and ai_suggestions (rename
or merge of products, proposed fields, confidence, reasons, pending until a person accepts,
edits or rejects). Tenant tables with RLS; not in the change feed (no caja reads them).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from stocky.cloud.schema_sql import rls_statements

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    if nullable:
        return sa.Column(name, sa.DateTime(timezone=True), nullable=True)
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "ai_runs",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="queued", nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("model", sa.String(length=120), nullable=True),
        sa.Column("total", sa.Integer(), server_default="0", nullable=False),
        sa.Column("processed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("suggestions", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        _timestamp("started_at", nullable=True),
        _timestamp("finished_at", nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_ai_runs_status")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_ai_runs_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_ai_runs")),
    )
    op.create_index("ix_ai_runs_tenant_id_created_at", "ai_runs", ["tenant_id", "created_at"])
    op.create_table(
        "ai_suggestions",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("product_ids", postgresql.ARRAY(sa.UUID()), nullable=False),
        sa.Column("versions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("proposed", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("reasons", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="pending", nullable=False),
        sa.Column("applied", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("decided_by", sa.UUID(), nullable=True),
        _timestamp("decided_at", nullable=True),
        _timestamp("created_at"),
        sa.CheckConstraint("kind IN ('rename', 'merge')", name=op.f("ck_ai_suggestions_kind")),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'rejected', 'edited')",
            name=op.f("ck_ai_suggestions_status"),
        ),
        sa.CheckConstraint(
            "confidence >= 0 AND confidence <= 1", name=op.f("ck_ai_suggestions_confidence")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "run_id"],
            ["ai_runs.tenant_id", "ai_runs.id"],
            name=op.f("fk_ai_suggestions_tenant_id_run_id_ai_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_ai_suggestions")),
    )
    op.create_index(
        "ix_ai_suggestions_tenant_id_run_id_id", "ai_suggestions", ["tenant_id", "run_id", "id"]
    )
    for table in ("ai_runs", "ai_suggestions"):
        for statement in rls_statements(table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("ai_suggestions")
    op.drop_table("ai_runs")
