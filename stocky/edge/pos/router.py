"""Local API: sales, returns, the day's summary."""

from __future__ import annotations

import datetime as dt
import sqlite3

from fastapi import APIRouter, Query

from stocky.core.errors import NotFoundError
from stocky.edge.api.deps import CurrentUser, StoreDep
from stocky.edge.pos import history, imported, returns, service
from stocky.edge.pos.approval import approver
from stocky.edge.pos.large_quantities import check_large_quantities
from stocky.edge.pos.schemas import (
    DaySummary,
    ReturnCreate,
    ReturnOut,
    SaleCreate,
    SaleOut,
)
from stocky.edge.store.timestamps import utc_now

router = APIRouter(tags=["pos"])


@router.post("/sales", status_code=201)
async def create_sale(body: SaleCreate, user: CurrentUser, store: StoreDep) -> SaleOut:
    approved_by = await approver(store, user, body.manager)

    def write(conn: sqlite3.Connection) -> SaleOut:
        check_large_quantities(conn, body)
        return service.record_sale(
            conn, body, user_id=user.id, now=utc_now(), approved_by=approved_by
        )

    return await store.awrite(write)


@router.get("/sales")
async def list_sales(
    user: CurrentUser,
    store: StoreDep,
    q: str | None = Query(
        default=None,
        max_length=100,
        description="Receipt number, total, or a product's name, SKU or barcode",
    ),
    date: dt.date | None = Query(default=None, description="Only this day (sede time)"),
    limit: int = Query(default=50, ge=1, le=history.MAX_PAGE),
    offset: int = Query(default=0, ge=0, le=2**62),
) -> history.TicketPage:
    """This caja's tickets, newest first."""
    start = end = None
    if date is not None:
        start, end = await store.aread(lambda conn: service.day_bounds(conn, date))
    query = history.TicketQuery(text=q, start=start, end=end, limit=limit, offset=offset)
    return await store.aread(lambda conn: history.find_tickets(conn, query))


@router.get("/sales/lookup")
async def lookup_sale(
    user: CurrentUser,
    store: StoreDep,
    receipt: str = Query(min_length=1, max_length=40, description="42, #42 or C01-000042"),
) -> SaleOut:
    """A sale by its printed number: this caja's, else (online) another caja's of the sede,
    fetched from the cloud and kept here so it can be returned (503 if offline)."""
    sale_id = await imported.find_sale(store, receipt)
    if sale_id is None:
        raise NotFoundError(f"receipt: no sale {receipt} in this sede", field="receipt")
    found = sale_id
    return await store.aread(lambda conn: service.load_sale(conn, found))


@router.get("/sales/{sale_id}")
async def get_sale(sale_id: str, user: CurrentUser, store: StoreDep) -> SaleOut:
    return await store.aread(lambda conn: service.load_sale(conn, sale_id))


@router.post("/returns", status_code=201)
async def create_return(body: ReturnCreate, user: CurrentUser, store: StoreDep) -> ReturnOut:
    approved_by = await approver(store, user, body.manager)
    return await store.awrite(
        lambda conn: returns.record_return(
            conn, body, user_id=user.id, now=utc_now(), approved_by=approved_by
        )
    )


@router.get("/summary")
async def summary(
    user: CurrentUser,
    store: StoreDep,
    date: dt.date | None = Query(default=None, description="The day (sede time); default today"),
) -> DaySummary:
    return await store.aread(lambda conn: service.day_summary(conn, date))
