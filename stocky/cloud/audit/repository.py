"""Reading the audit trail, newest first (ids are uuid7, so id order is time order).

An entry carries no sede of its own; the sede filter takes what was done by a caja of that
sede, by a user assigned to it, or to the sede's own row (tenant-wide users' other entries
are not any one sede's)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.kit.sql import where_given
from stocky.cloud.models import AuditLog, Device, User


@dataclass(frozen=True)
class AuditFilter:
    entity_type: str | None = None
    entity_id: str | None = None
    user_id: uuid.UUID | None = None
    device_id: uuid.UUID | None = None
    sede_id: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: uuid.UUID | None = None


async def list_audit_logs(
    session: AsyncSession, tenant_id: uuid.UUID, where: AuditFilter, limit: int
) -> list[AuditLog]:
    query = where_given(
        select(AuditLog).where(AuditLog.tenant_id == tenant_id),
        (AuditLog.entity_type, where.entity_type),
        (AuditLog.entity_id, where.entity_id),
        (AuditLog.user_id, where.user_id),
        (AuditLog.device_id, where.device_id),
    )
    if where.sede_id is not None:
        query = query.where(_in_sede(tenant_id, where.sede_id))
    if where.since is not None:
        query = query.where(AuditLog.created_at >= where.since)
    if where.until is not None:
        query = query.where(AuditLog.created_at < where.until)
    if where.before_id is not None:
        query = query.where(AuditLog.id < where.before_id)
    query = query.order_by(AuditLog.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


def _in_sede(tenant_id: uuid.UUID, sede_id: uuid.UUID) -> Any:
    cajas = select(Device.id).where(Device.tenant_id == tenant_id, Device.sede_id == sede_id)
    people = select(User.id).where(User.tenant_id == tenant_id, User.sede_id == sede_id)
    return or_(
        AuditLog.device_id.in_(cajas),
        AuditLog.user_id.in_(people),
        and_(AuditLog.entity_type == "sedes", AuditLog.entity_id == str(sede_id)),
    )
