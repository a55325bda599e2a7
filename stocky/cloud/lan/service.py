"""The LAN's two requests of a caja: its TLS certificate, and the sede's master lease."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.auth.tokens import Principal
from stocky.cloud.lan import authority as ca
from stocky.cloud.lan import repository
from stocky.core.lan import CertificateRequest, CertificateResponse, LeaseRequest, LeaseResponse

log = logging.getLogger(__name__)


async def issue_certificate(
    session: AsyncSession, device: Principal, request: CertificateRequest
) -> CertificateResponse:
    """Sign the caja's key (its CSR) with the tenant's CA, made on first use."""
    assert device.device_id is not None
    assert device.sede_id is not None
    csr = ca.parse_csr(request.csr_pem)
    authority = await repository.authority(session, device.tenant_id)
    if authority is None:
        authority = await repository.keep_authority(
            session, device.tenant_id, ca.new_authority(device.tenant_id)
        )
    issued = ca.issue(
        authority,
        csr,
        tenant_id=device.tenant_id,
        sede_id=device.sede_id,
        device_id=device.device_id,
    )
    return CertificateResponse(
        certificate_pem=issued.certificate_pem,
        ca_pem=authority.certificate_pem,
        tenant_id=device.tenant_id,
        sede_id=device.sede_id,
        device_id=device.device_id,
        not_after=issued.not_after,
    )


async def grant_lease(
    session: AsyncSession, device: Principal, request: LeaseRequest, *, lease_seconds: float
) -> LeaseResponse:
    """Make (or keep) the caller the sede's master, or say who is.

    Granted when the sede has no lease, when the caller holds it (renewal, at the higher of
    the two epochs), or when the holder's lease expired or the holder is no longer an active
    caja here (then the epoch goes up by one at least, fencing the old master off)."""
    assert device.device_id is not None
    now = datetime.now(UTC)
    expires_at = now + timedelta(seconds=lease_seconds)
    tenant_id, sede_id, me = device.tenant_id, request.sede_id, device.device_id
    lease = await repository.lease_for_update(session, tenant_id, sede_id)
    if lease is None:
        epoch = max(request.epoch, 1)
        lease = await repository.insert_lease(
            session, tenant_id, sede_id, me, epoch, now, expires_at
        )
        if lease is not None:
            return _answer(True, lease.epoch, me, expires_at, lease_seconds)
        lease = await repository.lease_for_update(session, tenant_id, sede_id)
        assert lease is not None  # a concurrent first request wrote it
    if lease.device_id == me:
        lease.epoch = max(lease.epoch, request.epoch)
        lease.expires_at = expires_at
        return _answer(True, lease.epoch, me, expires_at, lease_seconds)
    holder_active = bool(
        await repository.active_devices(session, tenant_id, sede_id, [lease.device_id])
    )
    if lease.expires_at > now and holder_active:
        return _answer(False, lease.epoch, lease.device_id, lease.expires_at, lease_seconds)
    log.info("LAN lease of sede %s: %s -> %s (epoch %d)", sede_id, lease.device_id, me, lease.epoch)
    lease.device_id = me
    lease.epoch = max(request.epoch, lease.epoch + 1)
    lease.granted_at = now
    lease.expires_at = expires_at
    return _answer(True, lease.epoch, me, expires_at, lease_seconds)


def _answer(
    granted: bool, epoch: int, holder: uuid.UUID, expires_at: datetime, lease_seconds: float
) -> LeaseResponse:
    return LeaseResponse(
        granted=granted,
        epoch=epoch,
        device_id=holder,
        expires_at=expires_at,
        lease_seconds=lease_seconds,
    )
