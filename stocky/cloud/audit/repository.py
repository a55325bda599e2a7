"""Reading the audit trail, newest first (ids are uuid7, so id order is time order)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.kit.sql import where_given
from stocky.cloud.models import AuditLog


@dataclass(frozen=True)
class AuditFilter:
    entity_type: str | None = None
    entity_id: str | None = None
    user_id: uuid.UUID | None = None
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
    )
    if where.since is not None:
        query = query.where(AuditLog.created_at >= where.since)
    if where.until is not None:
        query = query.where(AuditLog.created_at < where.until)
    if where.before_id is not None:
        query = query.where(AuditLog.id < where.before_id)
    query = query.order_by(AuditLog.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())
