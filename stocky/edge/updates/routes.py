"""GET /local/update (no login, no business data: what the banner and monitors read) and
POST /local/update/restart (a cashier's session; refused with 409 mid-sale)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from stocky.core.errors import ConflictError, NotFoundError
from stocky.edge.api.deps import CurrentUser
from stocky.edge.updates.service import SaleInProgressError, UpdateService
from stocky.edge.updates.slots import SlotError

router = APIRouter(prefix="/local/update", tags=["updates"])


def _service(request: Request) -> UpdateService:
    runtime = getattr(request.app.state, "runtime", None)
    service: UpdateService | None = getattr(runtime, "updates", None)
    if service is None:
        raise NotFoundError("this caja does not run from an updatable install")
    return service


@router.get("", summary="The running version, the staged one, and the last check")
async def update_status(request: Request) -> dict[str, Any]:
    return _service(request).status()


@router.post("/restart", summary="Restart into the staged version (never mid-sale)")
async def update_restart(request: Request, _user: CurrentUser) -> dict[str, Any]:
    service = _service(request)
    try:
        version = await service.restart()
    except SaleInProgressError as exc:
        raise ConflictError(str(exc)) from exc
    except SlotError as exc:
        raise ConflictError(str(exc)) from exc
    return {"restarting_into": version}
