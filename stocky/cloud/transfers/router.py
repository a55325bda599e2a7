"""/api/transfers: request (destination), decide (origin), follow (both), by people or cajas."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from stocky.cloud.auth.deps import CallerTenantSession, CurrentCaller, CurrentUser, TenantSession
from stocky.cloud.kit.pagination import DEFAULT_PAGE, MAX_PAGE
from stocky.cloud.transfers import service
from stocky.cloud.transfers.schemas import (
    ApproveIn,
    CancelIn,
    RejectIn,
    TransferOut,
    TransferPage,
    TransferRequest,
    TransferStatus,
)
from stocky.core.errors import error_responses

router = APIRouter(prefix="/api/transfers", tags=["transfers"])


@router.post(
    "/request",
    status_code=201,
    summary="Ask another sede for stock (a manager of the destination, an admin or the owner)",
    description=(
        "Both sedes must be online (a caja of each heard within the presence window), or 409 "
        "names the one that is not. Lines of the same product are added up."
    ),
    responses=error_responses(401, 403, 404, 409, 422),
)
async def request_transfer(
    request: Request, user: CurrentUser, session: TenantSession, body: TransferRequest
) -> TransferOut:
    window = timedelta(seconds=request.app.state.settings.presence_timeout_s)
    return await service.request_transfer(session, request.app, user, body, window)


@router.get(
    "",
    summary="Transfers, newest first (a manager or a caja: those of its sede)",
    responses=error_responses(401, 403, 422),
)
async def list_transfers(
    caller: CurrentCaller,
    session: CallerTenantSession,
    status: TransferStatus | None = None,
    sede_id: uuid.UUID | None = None,
    direction: Literal["incoming", "outgoing"] | None = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
) -> TransferPage:
    return await service.list_transfers(
        session,
        caller,
        status=status,
        sede_id=sede_id,
        direction=direction,
        cursor=cursor,
        limit=limit,
    )


@router.get(
    "/{transfer_id}",
    summary="One transfer with its lines, who asked and decided, and the movements it wrote",
    responses=error_responses(401, 404),
)
async def get_transfer(
    caller: CurrentCaller, session: CallerTenantSession, transfer_id: uuid.UUID
) -> TransferOut:
    return await service.get_transfer(session, caller, transfer_id)


@router.post(
    "/{transfer_id}/approve",
    summary="Approve: the job that moves the stock is queued (a manager of the origin)",
    description=(
        "A caja may call it with its credential for the manager signed in at it "
        "(`acting_user_id`). 409 names the state when the transfer is no longer pending."
    ),
    responses=error_responses(401, 403, 404, 409, 422),
)
async def approve_transfer(
    request: Request,
    caller: CurrentCaller,
    session: CallerTenantSession,
    transfer_id: uuid.UUID,
    body: ApproveIn | None = None,
) -> TransferOut:
    return await service.approve(session, request.app, caller, transfer_id, body or ApproveIn())


@router.post(
    "/{transfer_id}/reject",
    summary="Reject with a reason (a manager of the origin)",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def reject_transfer(
    request: Request,
    caller: CurrentCaller,
    session: CallerTenantSession,
    transfer_id: uuid.UUID,
    body: RejectIn,
) -> TransferOut:
    return await service.reject(session, request.app, caller, transfer_id, body)


@router.post(
    "/{transfer_id}/cancel",
    summary="Withdraw a pending request (whoever requested it, an admin or the owner)",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def cancel_transfer(
    request: Request,
    user: CurrentUser,
    session: TenantSession,
    transfer_id: uuid.UUID,
    body: CancelIn | None = None,
) -> TransferOut:
    return await service.cancel(session, request.app, user, transfer_id, body or CancelIn())
