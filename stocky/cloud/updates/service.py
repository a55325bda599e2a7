"""Recording a caja's update report, and listing them for owners."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.auth.tokens import Principal
from stocky.cloud.models.updates import UpdateReport
from stocky.cloud.updates import repository
from stocky.cloud.updates.schemas import UpdateReportIn


async def record(session: AsyncSession, device: Principal, body: UpdateReportIn) -> UpdateReport:
    """Keep what the caja says happened, under its own tenant, sede and device."""
    assert device.device_id is not None
    assert device.sede_id is not None
    return await repository.add(
        session,
        UpdateReport(
            tenant_id=device.tenant_id,
            sede_id=device.sede_id,
            device_id=device.device_id,
            version=body.version,
            previous_version=body.previous_version,
            outcome=body.outcome,
            reason=body.reason,
            happened_at=body.happened_at,
        ),
    )


async def latest(
    session: AsyncSession, tenant_id: uuid.UUID, *, sede_id: uuid.UUID | None, limit: int
) -> Sequence[UpdateReport]:
    return await repository.latest(session, tenant_id, sede_id=sede_id, limit=limit)
