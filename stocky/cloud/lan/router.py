"""/api/sync/lan: what a caja asks the cloud for its sede's LAN (device credential)."""

from __future__ import annotations

from fastapi import APIRouter

from stocky.cloud.auth.deps import CurrentDevice, DeviceTenantSession
from stocky.cloud.deps import SettingsDep
from stocky.cloud.lan import service
from stocky.core.errors import ForbiddenError, error_responses
from stocky.core.lan import CertificateRequest, CertificateResponse, LeaseRequest, LeaseResponse

router = APIRouter(prefix="/api/sync/lan", tags=["sync"])


@router.post(
    "/certificate",
    summary="Sign the caja's LAN key with the tenant's CA (mutual TLS between cajas)",
    responses=error_responses(401, 422),
)
async def certificate(
    body: CertificateRequest, device: CurrentDevice, session: DeviceTenantSession
) -> CertificateResponse:
    return await service.issue_certificate(session, device, body)


@router.post(
    "/lease",
    summary="Become (or stay) the sede's LAN master, or learn who is",
    responses=error_responses(401, 403, 422),
)
async def lease(
    body: LeaseRequest, device: CurrentDevice, session: DeviceTenantSession, settings: SettingsDep
) -> LeaseResponse:
    if body.sede_id != device.sede_id:
        raise ForbiddenError("sede_id: this caja belongs to another sede", field="sede_id")
    if body.device_id != device.device_id:
        raise ForbiddenError("device_id: does not match the caja's credential", field="device_id")
    return await service.grant_lease(
        session, device, body, lease_seconds=settings.lan_lease_seconds
    )
