"""Every query of update reports."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.models.updates import UpdateReport


async def add(session: AsyncSession, report: UpdateReport) -> UpdateReport:
    session.add(report)
    await session.flush()
    await session.refresh(report)
    return report


async def latest(
    session: AsyncSession, tenant_id: uuid.UUID, *, sede_id: uuid.UUID | None, limit: int
) -> Sequence[UpdateReport]:
    query = select(UpdateReport).where(UpdateReport.tenant_id == tenant_id)
    if sede_id is not None:
        query = query.where(UpdateReport.sede_id == sede_id)
    query = query.order_by(UpdateReport.received_at.desc(), UpdateReport.id.desc()).limit(limit)
    return (await session.scalars(query)).all()
