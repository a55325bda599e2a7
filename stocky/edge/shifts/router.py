"""Local API: open and close the cash shift (Z report)."""

from __future__ import annotations

from fastapi import APIRouter

from stocky.edge.api.deps import CurrentUser, ShiftCloseHooks, StoreDep
from stocky.edge.shifts import service
from stocky.edge.shifts.schemas import ShiftClose, ShiftOpen, ShiftOut
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
async def close_shift(
    body: ShiftClose, user: CurrentUser, store: StoreDep, hooks: ShiftCloseHooks
) -> ShiftOut:
    for hook in hooks:  # e.g. the sync engine's outbox flush; best effort, offline is fine
        await hook()
    return await store.awrite(
        lambda conn: service.close_shift(conn, body, user_id=user.id, now=utc_now())
    )
