"""Activation codes, POST /api/activate, and the cajas (devices) of a tenant."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request, status

from stocky.cloud.activation import repository, service
from stocky.cloud.activation.schemas import (
    ActivateIn,
    ActivateOut,
    CodeCreate,
    CodeOut,
    DeviceOut,
    PendingCodeOut,
)
from stocky.cloud.auth.deps import (
    CurrentDevice,
    DeviceTenantSession,
    KeyRingDep,
    TenantSession,
    require_role,
)
from stocky.cloud.auth.tokens import Principal
from stocky.cloud.deps import RedisDep, SessionMakerDep, SettingsDep
from stocky.cloud.realtime.emit import Realtime
from stocky.core.errors import NotFoundError, error_responses

router = APIRouter(prefix="/api", tags=["activation"])
Admin = Annotated[Principal, Depends(require_role("admin"))]
Manager = Annotated[Principal, Depends(require_role("manager"))]


@router.post(
    "/sedes/{sede_id}/activation-codes",
    status_code=status.HTTP_201_CREATED,
    summary="A single-use code (ABCD-EFGH-JKMN) that activates one caja in this sede",
)
async def create_code(
    sede_id: uuid.UUID,
    actor: Admin,
    session: TenantSession,
    body: Annotated[CodeCreate | None, Body()] = None,
) -> CodeOut:
    ttl = timedelta(hours=(body or CodeCreate()).ttl_hours)
    issued = await service.issue_code(session, actor, sede_id, ttl)
    return CodeOut(
        id=issued.id, code=issued.code, sede_id=issued.sede_id, expires_at=issued.expires_at
    )


@router.get(
    "/sedes/{sede_id}/activation-codes",
    summary="The sede's codes that can still activate a caja (never the code: only its hash "
    "is kept)",
)
async def list_codes(
    sede_id: uuid.UUID, actor: Admin, session: TenantSession
) -> list[PendingCodeOut]:
    return [
        PendingCodeOut.model_validate(c)
        for c in await service.pending_codes(session, actor, sede_id)
    ]


@router.delete(
    "/sedes/{sede_id}/activation-codes/{code_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke a code not yet used (activating with it then fails as an unknown code)",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def revoke_code(
    sede_id: uuid.UUID, code_id: uuid.UUID, actor: Admin, session: TenantSession
) -> None:
    await service.revoke_code(session, actor, sede_id, code_id)


@router.post("/activate", summary="Register a caja with an activation code")
async def activate(
    body: ActivateIn,
    request: Request,
    sessionmaker: SessionMakerDep,
    redis: RedisDep,
    keys: KeyRingDep,
    settings: SettingsDep,
) -> ActivateOut:
    return await service.activate(
        sessionmaker,
        redis,
        keys,
        code=body.code,
        device_name=body.device_name,
        client_address=request.client.host if request.client else "unknown",
        cloud_url=settings.base_url,
    )


@router.get("/devices", summary="Cajas (a manager sees its own sede's)")
async def list_devices(
    actor: Manager,
    session: TenantSession,
    settings: SettingsDep,
    sede_id: uuid.UUID | None = None,
) -> list[DeviceOut]:
    devices = await service.list_devices(session, actor, sede_id)
    threshold = settings.clock_skew_threshold_s
    return [DeviceOut.model_validate(d).with_clock(threshold) for d in devices]


@router.get("/devices/me", summary="The caja behind this device credential")
async def device_me(
    device: CurrentDevice, session: DeviceTenantSession, settings: SettingsDep
) -> DeviceOut:
    assert device.device_id is not None
    row = await repository.get_device(session, device.tenant_id, device.device_id)
    if row is None:
        raise NotFoundError("There is no such caja.")
    return DeviceOut.model_validate(row).with_clock(settings.clock_skew_threshold_s)


@router.post("/devices/{device_id}/revoke", summary="Revoke a caja's credential (admin)")
async def revoke_device(
    device_id: uuid.UUID,
    actor: Admin,
    session: TenantSession,
    realtime: Realtime,
    settings: SettingsDep,
) -> DeviceOut:
    device = await service.revoke_device(session, actor, device_id)
    realtime.drop_device(session, device.id)  # its open sockets go once this commits
    return DeviceOut.model_validate(device).with_clock(settings.clock_skew_threshold_s)
