"""/api/sedes: list and read (own sede below admin), create and close (admin), edit."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from stocky.cloud.auth.deps import CurrentUser, TenantSession, require_role
from stocky.cloud.auth.tokens import Principal
from stocky.cloud.sedes import service
from stocky.cloud.sedes.schemas import SedeCreate, SedeOut, SedeUpdate

router = APIRouter(prefix="/api/sedes", tags=["sedes"])
Admin = Annotated[Principal, Depends(require_role("admin"))]
Manager = Annotated[Principal, Depends(require_role("manager"))]


@router.get("", summary="Sedes (below admin: only your own)")
async def list_sedes(actor: CurrentUser, session: TenantSession) -> list[SedeOut]:
    return [SedeOut.model_validate(s) for s in await service.list_sedes(session, actor)]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Open a sede (admin)")
async def create_sede(body: SedeCreate, actor: Admin, session: TenantSession) -> SedeOut:
    return SedeOut.model_validate(await service.create_sede(session, actor, body))


@router.get("/{sede_id}", summary="One sede")
async def get_sede(sede_id: uuid.UUID, actor: CurrentUser, session: TenantSession) -> SedeOut:
    return SedeOut.model_validate(await service.get_sede(session, actor, sede_id))


@router.patch("/{sede_id}", summary="Edit a sede (a manager: only its own)")
async def update_sede(
    sede_id: uuid.UUID, body: SedeUpdate, actor: Manager, session: TenantSession
) -> SedeOut:
    return SedeOut.model_validate(await service.update_sede(session, actor, sede_id, body))


@router.delete("/{sede_id}", summary="Close a sede (admin); its history stays")
async def close_sede(sede_id: uuid.UUID, actor: Admin, session: TenantSession) -> SedeOut:
    sede = await service.update_sede(session, actor, sede_id, SedeUpdate(active=False))
    return SedeOut.model_validate(sede)
