"""/api/transactions: every stock movement, newest first, for every role of the tenant."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from stocky.cloud.auth.deps import CurrentUser, TenantSession
from stocky.cloud.kit.pagination import DEFAULT_PAGE, MAX_PAGE
from stocky.cloud.transactions import service
from stocky.cloud.transactions.repository import MovementFilter
from stocky.cloud.transactions.schemas import MovementPage

router = APIRouter(prefix="/api/transactions", tags=["transactions"])
MovementType = Annotated[
    str | None,
    Query(pattern="^(sale|return|entry|adjustment|transfer_out|transfer_in)$"),
]


@router.get("", summary="Movements, newest first (by the time the cloud received them)")
async def list_transactions(
    user: CurrentUser,
    session: TenantSession,
    sede_id: uuid.UUID | None = None,
    type: MovementType = None,
    product_id: uuid.UUID | None = None,
    since: Annotated[datetime | None, Query(alias="from")] = None,
    until: Annotated[datetime | None, Query(alias="to")] = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
) -> MovementPage:
    where = MovementFilter(
        sede_id=sede_id, type=type, product_id=product_id, since=since, until=until
    )
    return await service.list_movements(session, user, where, cursor=cursor, limit=limit)
