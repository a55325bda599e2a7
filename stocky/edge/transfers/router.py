"""Local API: the sede's transfers (its copy) and a manager's decision (in the cloud)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from stocky.edge.api.deps import CurrentUser, RuntimeDep, StoreDep
from stocky.edge.transfers import queries, service
from stocky.edge.transfers.schemas import (
    ApproveIn,
    DecisionOut,
    Direction,
    RejectIn,
    TransferList,
)

router = APIRouter(prefix="/transfers", tags=["transfers"])

Status = Annotated[
    str | None,
    Query(pattern="^(pending|processing|completed|failed|rejected|cancelled)$"),
]


@router.get("")
async def list_transfers(
    user: CurrentUser,
    store: StoreDep,
    status: Status = None,
    direction: Direction | None = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_LIST)] = 50,
) -> TransferList:
    """Incoming and outgoing transfers of this sede as last pulled, newest first."""
    items = await store.aread(
        lambda c: queries.list_transfers(c, status=status, direction=direction, limit=limit)
    )
    return TransferList(items=items)


@router.post("/{transfer_id}/approve")
async def approve(
    transfer_id: uuid.UUID,
    user: CurrentUser,
    runtime: RuntimeDep,
    body: ApproveIn | None = None,
) -> DecisionOut:
    """A manager of the origin sede approves; needs the cloud (503 offline)."""
    return await service.decide(runtime, user, str(transfer_id), "approve")


@router.post("/{transfer_id}/reject")
async def reject(
    transfer_id: uuid.UUID, body: RejectIn, user: CurrentUser, runtime: RuntimeDep
) -> DecisionOut:
    """A manager of the origin sede rejects with a reason; needs the cloud (503 offline)."""
    return await service.decide(runtime, user, str(transfer_id), "reject", body.reason)
