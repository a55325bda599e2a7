"""/api/sales: the sales list and one sale (users: owner and admin every sede, manager and
cashier their own), and a sale by its printed receipt number (cajas and users of the sede).

The list and the detail take a user's access token only: a caja's credential gets a 401
there; its one read is /lookup, for a return of a sale made at another caja."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query

from stocky.cloud.auth.deps import CallerTenantSession, CurrentCaller, CurrentUser, TenantSession
from stocky.cloud.kit.pagination import DEFAULT_PAGE, MAX_PAGE
from stocky.cloud.sales import service
from stocky.cloud.sales.listing import SaleFilter
from stocky.cloud.sales.schemas import SaleDetail, SalePage
from stocky.core.errors import error_responses
from stocky.core.sale_lookup import SaleLookup

router = APIRouter(prefix="/api/sales", tags=["sales"])
Amount = Annotated[Decimal | None, Query(ge=0, max_digits=18, decimal_places=2)]


@router.get(
    "",
    summary="Sales, newest first by the caja's time (its clock corrected by its offset)",
    responses=error_responses(401, 403, 404, 422),
)
async def list_sales(
    user: CurrentUser,
    session: TenantSession,
    sede_id: uuid.UUID | None = None,
    device_id: Annotated[uuid.UUID | None, Query(description="The caja")] = None,
    user_id: Annotated[uuid.UUID | None, Query(description="The cashier")] = None,
    shift_id: uuid.UUID | None = None,
    since: Annotated[
        datetime | None, Query(alias="from", description="Caja time, inclusive")
    ] = None,
    until: Annotated[datetime | None, Query(alias="to", description="Caja time, exclusive")] = None,
    receipt: Annotated[str | None, Query(min_length=1, max_length=40, description="C01-42")] = None,
    min_total: Amount = None,
    max_total: Amount = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
) -> SalePage:
    where = SaleFilter(
        sede_id=sede_id,
        device_id=device_id,
        user_id=user_id,
        shift_id=shift_id,
        since=since,
        until=until,
        receipt=service.parse_receipt_filter(receipt),
        min_total=min_total,
        max_total=max_total,
    )
    return await service.list_sales(session, user, where, cursor=cursor, limit=limit)


@router.get(
    "/lookup",
    summary="A sale of the caller's sede by its receipt number (for a return at another caja)",
    responses=error_responses(401, 404, 422),
)
async def lookup(
    caller: CurrentCaller,
    session: CallerTenantSession,
    receipt: Annotated[str, Query(min_length=1, max_length=40, description="C01-000042")],
) -> SaleLookup:
    return await service.lookup_sale(session, caller, receipt)


@router.get(
    "/{sale_id}",
    summary="One sale: lines, payments, returns against it, caja, cashier, both times",
    responses=error_responses(401, 404, 422),
)
async def get_sale(user: CurrentUser, session: TenantSession, sale_id: uuid.UUID) -> SaleDetail:
    return await service.sale_detail(session, user, sale_id)
