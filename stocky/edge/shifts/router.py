"""Local API: open and close the cash shift (Z report)."""

from __future__ import annotations

import sqlite3

from fastapi import APIRouter, Query

from stocky.edge.api.deps import CurrentUser, RuntimeDep, StoreDep
from stocky.edge.shifts import service
from stocky.edge.shifts.schemas import (
    CashMovementIn,
    CashMovementOut,
    ShiftClose,
    ShiftOpen,
    ShiftOut,
)
from stocky.edge.store.timestamps import utc_now

router = APIRouter(tags=["shifts"])


@router.get("/shifts/current")
async def current(user: CurrentUser, store: StoreDep) -> ShiftOut | None:
    return await store.aread(service.current_shift)


@router.post("/shifts/open", status_code=201)
async def open_shift(body: ShiftOpen, user: CurrentUser, store: StoreDep) -> ShiftOut:
    return await store.awrite(
        lambda conn: service.open_shift(conn, body, user_id=user.id, now=utc_now())
    )


@router.post("/shifts/close")
async def close_shift(body: ShiftClose, user: CurrentUser, runtime: RuntimeDep) -> ShiftOut:
    # The outbox is flushed first (best effort, offline is fine), as the screen does.
    return await runtime.close_shift_flushed(body, user_id=user.id)


@router.post("/shifts/cash", status_code=201)
async def move_cash(body: CashMovementIn, user: CurrentUser, store: StoreDep) -> CashMovementOut:
    return await store.awrite(
        lambda conn: service.record_cash_movement(conn, body, user_id=user.id, now=utc_now())
    )


@router.get("/shifts/current/cash")
async def current_cash(user: CurrentUser, store: StoreDep) -> list[CashMovementOut]:
    def read(conn: sqlite3.Connection) -> list[CashMovementOut]:
        shift = service.current_shift(conn)
        return [] if shift is None else service.shift_cash_movements(conn, shift.id)

    return await store.aread(read)


@router.get("/shifts")
async def closed(
    user: CurrentUser,
    store: StoreDep,
    limit: int = Query(default=50, ge=1, le=200),
    offset: int = Query(default=0, ge=0, le=2**31),
) -> list[ShiftOut]:
    return await store.aread(lambda conn: service.closed_shifts(conn, limit=limit, offset=offset))


@router.get("/shifts/{shift_id}")
async def one(shift_id: str, user: CurrentUser, store: StoreDep) -> ShiftOut:
    return await store.aread(lambda conn: service.get_shift(conn, shift_id))
