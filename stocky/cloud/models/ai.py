"""The AI catalog normalizer's runs over a tenant's catalog and the suggestions they store
(issue 18). Suggestions change nothing until a person accepts them; not in the change feed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKeyConstraint, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from stocky.cloud.models.base import Base, CreatedAt, TenantPk, UUIDPk, enum_check

RUN_STATUSES = ("queued", "running", "done", "failed")
SUGGESTION_KINDS = ("rename", "merge")
SUGGESTION_STATUSES = ("pending", "accepted", "rejected", "edited")


class AiRun(Base):
    __tablename__ = "ai_runs"
    __table_args__ = (
        CheckConstraint(enum_check("status", RUN_STATUSES), name="status"),
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        Index("ix_ai_runs_tenant_id_created_at", "tenant_id", "created_at"),
    )

    tenant_id: Mapped[TenantPk]
    id: Mapped[UUIDPk]
    status: Mapped[str] = mapped_column(String(10), server_default="queued")
    provider: Mapped[str] = mapped_column(String(40))
    model: Mapped[str | None] = mapped_column(String(120))
    total: Mapped[int] = mapped_column(Integer, server_default="0")
    processed: Mapped[int] = mapped_column(Integer, server_default="0")
    suggestions: Mapped[int] = mapped_column(Integer, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[CreatedAt]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class AiSuggestion(Base):
    __tablename__ = "ai_suggestions"
    __table_args__ = (
        CheckConstraint(enum_check("kind", SUGGESTION_KINDS), name="kind"),
        CheckConstraint(enum_check("status", SUGGESTION_STATUSES), name="status"),
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence"),
        ForeignKeyConstraint(
            ["tenant_id", "run_id"], ["ai_runs.tenant_id", "ai_runs.id"], ondelete="CASCADE"
        ),
        # A run's list, in id (uuid7: creation) order, filtered by status and kind.
        Index("ix_ai_suggestions_tenant_id_run_id_id", "tenant_id", "run_id", "id"),
    )

    tenant_id: Mapped[TenantPk]
    id: Mapped[UUIDPk]
    run_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(10))
    product_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    # {product id: version} when suggested: a product changed since makes it stale (409).
    versions: Mapped[dict[str, Any]] = mapped_column(JSONB)
    proposed: Mapped[dict[str, Any]] = mapped_column(JSONB)
    confidence: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(10), server_default="pending")
    # What was applied when accepted with edits (the proposal is kept as it was).
    applied: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    decided_by: Mapped[uuid.UUID | None]
    decided_at: Mapped[datetime | None]
    created_at: Mapped[CreatedAt]


__all__ = [
    "RUN_STATUSES",
    "SUGGESTION_KINDS",
    "SUGGESTION_STATUSES",
    "AiRun",
    "AiSuggestion",
]
