"""GET /api/dashboard: everything the owner's dashboard shows, in one read (users only: a
caja's credential gets a 401; owner and admin the whole tenant or one sede, a manager its
own sede)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from stocky.cloud.auth.deps import CurrentUser, TenantSession
from stocky.cloud.dashboard import service
from stocky.cloud.dashboard.schemas import DashboardOut
from stocky.cloud.deps import RedisDep, SettingsDep
from stocky.core.errors import error_responses

router = APIRouter(prefix="/api/dashboard", tags=["dashboard"])


@router.get(
    "",
    summary="Today's takings per sede, the last 30 days, sync health, stock alerts",
    responses=error_responses(401, 403, 404, 422),
)
async def get_dashboard(
    user: CurrentUser,
    session: TenantSession,
    redis: RedisDep,
    settings: SettingsDep,
    sede_id: Annotated[
        uuid.UUID | None, Query(description="Owner and admin: one sede's figures only")
    ] = None,
) -> DashboardOut:
    return await service.dashboard(session, redis, user, sede_id, settings.clock_skew_threshold_s)
