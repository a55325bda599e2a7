"""/api/inventory: stock per sede, thresholds, opening stock.

Every role reads any sede of its tenant (transfers need to see the other stores); managers
set thresholds at their own sede, admins at any; only admins set opening stock.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from stocky.cloud.auth.deps import CurrentUser, TenantSession, require_role
from stocky.cloud.auth.tokens import Principal
from stocky.cloud.deps import RedisDep
from stocky.cloud.inventory import opening, service
from stocky.cloud.inventory.consolidated import consolidated_stock
from stocky.cloud.inventory.schemas import (
    ConsolidatedPage,
    InventoryItem,
    InventoryPage,
    OpeningReport,
    OpeningStockIn,
    ThresholdsIn,
)
from stocky.cloud.kit.pagination import DEFAULT_PAGE, MAX_PAGE
from stocky.cloud.kit.uploads import read_upload

router = APIRouter(prefix="/api/inventory", tags=["inventory"])
Manager = Annotated[Principal, Depends(require_role("manager"))]
Admin = Annotated[Principal, Depends(require_role("admin"))]


@router.get("", summary="Stock of every product at a sede, with low and negative flags")
async def list_inventory(
    user: CurrentUser,
    session: TenantSession,
    sede_id: uuid.UUID,
    q: Annotated[str | None, Query(max_length=200)] = None,
    status: Literal["low", "negative", "over"] | None = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
) -> InventoryPage:
    return await service.list_stock(
        session, user, sede_id, q=q, status=status, cursor=cursor, limit=limit
    )


@router.get(
    "/consolidated",
    summary="Stock of every product at every sede and in total (cached in Redis)",
)
async def consolidated(
    user: CurrentUser,
    session: TenantSession,
    redis: RedisDep,
    response: Response,
    q: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
) -> ConsolidatedPage:
    page, hit = await consolidated_stock(session, redis, user, q=q, cursor=cursor, limit=limit)
    response.headers["X-Cache"] = "hit" if hit else "miss"
    return page


@router.put("/{sede_id}/{product_id}/thresholds", summary="Set min and max stock")
async def put_thresholds(
    user: Manager,
    session: TenantSession,
    sede_id: uuid.UUID,
    product_id: uuid.UUID,
    body: ThresholdsIn,
) -> InventoryItem:
    return await service.set_thresholds(session, user, sede_id, product_id, body)


@router.post(
    "/{sede_id}/opening",
    status_code=201,
    summary="Opening stock as entry movements (201 like every create; a dry run answers 200)",
)
async def post_opening(
    user: Admin,
    session: TenantSession,
    response: Response,
    sede_id: uuid.UUID,
    body: OpeningStockIn,
    dry_run: bool = False,
) -> OpeningReport:
    if dry_run:
        # A dry run creates nothing: it is a report, as the CSV imports answer.
        response.status_code = 200
    return await opening.opening_from_lines(session, user, sede_id, body, dry_run=dry_run)


@router.post(
    "/{sede_id}/opening/import",
    summary="Opening stock from a CSV file (sku, quantity, optional cost)",
    openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def import_opening(
    request: Request,
    user: Admin,
    session: TenantSession,
    sede_id: uuid.UUID,
    dry_run: bool = False,
) -> OpeningReport:
    data = await read_upload(request)
    return await opening.opening_from_csv(session, user, sede_id, data, dry_run=dry_run)
