"""Reconciliation findings (issue 17): what the cloud found that does not add up.

A finding is keyed by what it is about (`subject`: a shift id, "sede:product", a device id)
and stays one row while it is not resolved, however many times a check finds it again: the
partial unique index makes every check an upsert. Not in the change feed (no caja reads it).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from stocky.cloud.models.base import Base, CreatedAt, TenantPk, UUIDPk, enum_check

FINDING_KINDS = ("shift_gap", "stock_drift", "clock_skew", "rejected_ops")
FINDING_STATUSES = ("open", "acknowledged", "resolved")


class Finding(Base):
    __tablename__ = "reconciliation_findings"
    __table_args__ = (
        CheckConstraint(enum_check("kind", FINDING_KINDS), name="kind"),
        CheckConstraint(enum_check("status", FINDING_STATUSES), name="status"),
        ForeignKeyConstraint(["tenant_id", "sede_id"], ["sedes.tenant_id", "sedes.id"]),
        # One unresolved finding per subject: checks upsert on it.
        Index(
            "uq_reconciliation_findings_unresolved_subject",
            "tenant_id",
            "kind",
            "subject",
            unique=True,
            postgresql_where=text("status <> 'resolved'"),
        ),
        # The list, newest first; and a sede's open shift gaps (the push re-check).
        Index(
            "ix_reconciliation_findings_tenant_id_detected_at_id", "tenant_id", "detected_at", "id"
        ),
        Index(
            "ix_reconciliation_findings_unresolved_sede",
            "tenant_id",
            "sede_id",
            "kind",
            postgresql_where=text("status <> 'resolved'"),
        ),
    )

    tenant_id: Mapped[TenantPk]
    id: Mapped[UUIDPk]
    kind: Mapped[str] = mapped_column(String(20))
    sede_id: Mapped[uuid.UUID]
    device_id: Mapped[uuid.UUID | None]
    subject: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(12), server_default="open")
    # Expected vs received, the differences, and a `fingerprint`: when it changes, an
    # acknowledged finding opens again (the problem is not the one a person saw).
    details: Mapped[dict[str, Any]] = mapped_column(JSONB)
    detected_at: Mapped[CreatedAt]
    updated_at: Mapped[CreatedAt]
    resolved_at: Mapped[datetime | None]
    acknowledged_by: Mapped[uuid.UUID | None]
    acknowledged_at: Mapped[datetime | None]
    ack_note: Mapped[str | None] = mapped_column(Text)


__all__ = ["FINDING_KINDS", "FINDING_STATUSES", "Finding"]
