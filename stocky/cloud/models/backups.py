"""Caja backups kept in the object storage (issue 19 item 5): one row per uploaded snapshot.

The object key is made by the cloud from the authenticated device, so a row (and its
object) always belongs to the caja that uploaded it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKeyConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stocky.cloud.models.base import Base, CreatedAt, TenantPk, UUIDPk


class CajaBackup(Base):
    __tablename__ = "caja_backups"
    __table_args__ = (
        UniqueConstraint("tenant_id", "key"),
        ForeignKeyConstraint(["tenant_id", "sede_id"], ["sedes.tenant_id", "sedes.id"]),
        Index(
            "ix_caja_backups_tenant_id_device_id_created_at", "tenant_id", "device_id", "created_at"
        ),
        Index("ix_caja_backups_tenant_id_sede_id_created_at", "tenant_id", "sede_id", "created_at"),
    )

    tenant_id: Mapped[TenantPk]
    id: Mapped[UUIDPk]
    device_id: Mapped[uuid.UUID]
    sede_id: Mapped[uuid.UUID]
    key: Mapped[str] = mapped_column(String(900))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    # The newest outbox entry the snapshot holds (its local seq and op id): what a restore
    # compares with the ops the cloud received from the caja.
    last_op_seq: Mapped[int] = mapped_column(BigInteger)
    last_op_id: Mapped[uuid.UUID | None]
    reason: Mapped[str] = mapped_column(String(64))
    taken_at: Mapped[datetime]
    created_at: Mapped[CreatedAt]


__all__ = ["CajaBackup"]
