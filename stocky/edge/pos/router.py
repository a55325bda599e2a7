"""Local API: sales, returns, the day's summary."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query

from stocky.edge.api.deps import CurrentUser, StoreDep
from stocky.edge.pos import service
from stocky.edge.pos.schemas import DaySummary, ReturnCreate, ReturnOut, SaleCreate, SaleOut
from stocky.edge.store.timestamps import utc_now

router = APIRouter(tags=["pos"])


@router.post("/sales", status_code=201)
async def create_sale(body: SaleCreate, user: CurrentUser, store: StoreDep) -> SaleOut:
    return await store.awrite(
        lambda conn: service.record_sale(conn, body, user_id=user.id, now=utc_now())
    )


@router.get("/sales/{sale_id}")
async def get_sale(sale_id: str, user: CurrentUser, store: StoreDep) -> SaleOut:
    return await store.aread(lambda conn: service.load_sale(conn, sale_id))


@router.post("/returns", status_code=201)
async def create_return(body: ReturnCreate, user: CurrentUser, store: StoreDep) -> ReturnOut:
    return await store.awrite(
        lambda conn: service.record_return(conn, body, user_id=user.id, now=utc_now())
    )


@router.get("/summary")
async def summary(
    user: CurrentUser,
    store: StoreDep,
    date: dt.date | None = Query(default=None, description="The day (sede time); default today"),
) -> DaySummary:
    return await store.aread(lambda conn: service.day_summary(conn, date))
