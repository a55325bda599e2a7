"""How each caja's updates went (issue 19): a row per report a caja sends, installed or
rolled back, for the owners to see. Not in the change feed (no caja reads it)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from stocky.cloud.models.base import Base, CreatedAt, TenantPk, UUIDPk, enum_check

UPDATE_OUTCOMES = ("installed", "rolled_back")


class UpdateReport(Base):
    __tablename__ = "update_reports"
    __table_args__ = (
        CheckConstraint(enum_check("outcome", UPDATE_OUTCOMES), name="outcome"),
        ForeignKeyConstraint(["tenant_id", "sede_id"], ["sedes.tenant_id", "sedes.id"]),
        ForeignKeyConstraint(["tenant_id", "device_id"], ["devices.tenant_id", "devices.id"]),
        Index("ix_update_reports_tenant_id_received_at", "tenant_id", "received_at"),
    )

    tenant_id: Mapped[TenantPk]
    id: Mapped[UUIDPk]
    sede_id: Mapped[uuid.UUID]
    device_id: Mapped[uuid.UUID]
    version: Mapped[str] = mapped_column(String(40))
    previous_version: Mapped[str | None] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(Text)
    happened_at: Mapped[datetime]
    received_at: Mapped[CreatedAt]
