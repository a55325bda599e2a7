"""Local API: stock entries, physical counts, thresholds, inventory with flags."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query

from stocky.edge.api.deps import SQLITE_MAX_INT, CurrentUser, ManagerUser, StoreDep
from stocky.edge.inventory import queries, service
from stocky.edge.inventory.schemas import (
    AdjustmentCreate,
    DocumentOut,
    EntryCreate,
    InventoryPage,
    ThresholdsIn,
    ThresholdsOut,
)
from stocky.edge.store.timestamps import utc_now

router = APIRouter(tags=["inventory"])


@router.post("/entries", status_code=201)
async def create_entry(body: EntryCreate, user: ManagerUser, store: StoreDep) -> DocumentOut:
    return await store.awrite(
        lambda conn: service.record_entry(conn, body, user_id=user.id, now=utc_now())
    )


@router.post("/adjustments", status_code=201)
async def create_adjustment(
    body: AdjustmentCreate, user: ManagerUser, store: StoreDep
) -> DocumentOut:
    return await store.awrite(
        lambda conn: service.record_adjustment(conn, body, user_id=user.id, now=utc_now())
    )


@router.put("/inventory/{product_id}/thresholds")
async def put_thresholds(
    product_id: str, body: ThresholdsIn, user: ManagerUser, store: StoreDep
) -> ThresholdsOut:
    return await store.awrite(
        lambda conn: service.set_thresholds(conn, product_id, body, user_id=user.id, now=utc_now())
    )


@router.get("/inventory")
async def get_inventory(
    user: CurrentUser,
    store: StoreDep,
    status: Literal["all", "low", "negative"] = "all",
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0, le=SQLITE_MAX_INT),
) -> InventoryPage:
    return await store.aread(
        lambda conn: queries.inventory_page(conn, status=status, limit=limit, offset=offset)
    )
