"""/api/reconciliation: findings of the shift, stock, clock and rejected-ops checks."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request

from stocky.cloud.auth.deps import CurrentUser, TenantSession
from stocky.cloud.kit.pagination import DEFAULT_PAGE, MAX_PAGE
from stocky.cloud.reconciliation import service
from stocky.cloud.reconciliation.schemas import (
    AcknowledgeIn,
    CorrectIn,
    CorrectionOut,
    FindingKind,
    FindingOut,
    FindingPage,
    FindingStatus,
    StockRunOut,
)
from stocky.core.errors import error_responses

router = APIRouter(prefix="/api/reconciliation", tags=["reconciliation"])


@router.get(
    "",
    summary="Findings, newest first (a manager: those of their own sede)",
    responses=error_responses(401, 403, 422),
)
async def list_findings(
    user: CurrentUser,
    session: TenantSession,
    kind: FindingKind | None = None,
    sede_id: uuid.UUID | None = None,
    status: FindingStatus | None = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
) -> FindingPage:
    return await service.list_findings(
        session, user, kind=kind, sede_id=sede_id, status=status, cursor=cursor, limit=limit
    )


@router.post(
    "/stock/run",
    status_code=202,
    summary="Run the tenant's checks now: stock against movements, clocks, rejected ops",
    description="Queued as a job; its findings appear in the list (admin or owner).",
    responses=error_responses(401, 403),
)
async def run_stock_check(
    request: Request, user: CurrentUser, session: TenantSession
) -> StockRunOut:
    return await service.run_checks(session, request.app, user)


@router.post(
    "/{finding_id}/acknowledge",
    summary="Mark a finding as seen, with a note (a manager of its sede, an admin, the owner)",
    description="409 when it is not open.",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def acknowledge(
    user: CurrentUser,
    session: TenantSession,
    finding_id: uuid.UUID,
    body: AcknowledgeIn | None = None,
) -> FindingOut:
    return await service.acknowledge(session, user, finding_id, body or AcknowledgeIn())


@router.post(
    "/{finding_id}/correct",
    summary="Correct a stock drift with an adjustment movement and resolve it (admin, owner)",
    description=(
        "The movement records the difference between the stock row and its movements, so "
        "they add up again; the stock row's quantity (what the cajas show) is not changed."
    ),
    responses=error_responses(401, 403, 404, 409, 422),
)
async def correct(
    user: CurrentUser,
    session: TenantSession,
    finding_id: uuid.UUID,
    body: CorrectIn | None = None,
) -> CorrectionOut:
    return await service.correct(session, user, finding_id, body or CorrectIn())
