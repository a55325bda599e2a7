"""Every query of the LAN feature. Each filters by tenant (RLS does too)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.kit.sql import uuids
from stocky.cloud.lan.authority import Authority
from stocky.cloud.models import Device, SedeLanLease, TenantCertificateAuthority


async def authority(session: AsyncSession, tenant_id: uuid.UUID) -> Authority | None:
    row = (
        await session.execute(
            select(TenantCertificateAuthority).where(
                TenantCertificateAuthority.tenant_id == tenant_id
            )
        )
    ).scalar_one_or_none()
    return None if row is None else Authority(row.key_pem, row.certificate_pem)


async def keep_authority(session: AsyncSession, tenant_id: uuid.UUID, made: Authority) -> Authority:
    """Store `made` unless another request stored the tenant's CA first; the stored one."""
    await session.execute(
        insert(TenantCertificateAuthority)
        .values(tenant_id=tenant_id, key_pem=made.key_pem, certificate_pem=made.certificate_pem)
        .on_conflict_do_nothing(index_elements=["tenant_id"])
    )
    stored = await authority(session, tenant_id)
    assert stored is not None
    return stored


async def lease_for_update(
    session: AsyncSession, tenant_id: uuid.UUID, sede_id: uuid.UUID
) -> SedeLanLease | None:
    stmt = (
        select(SedeLanLease)
        .where(SedeLanLease.tenant_id == tenant_id, SedeLanLease.sede_id == sede_id)
        .with_for_update()
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def lease_holder_shared(
    session: AsyncSession, tenant_id: uuid.UUID, sede_id: uuid.UUID
) -> tuple[int, uuid.UUID] | None:
    """The sede's lease (epoch, caja), read under a share lock: the lease cannot pass to
    another caja until this transaction (a push fenced by what it read) has ended."""
    stmt = (
        select(SedeLanLease.epoch, SedeLanLease.device_id)
        .where(SedeLanLease.tenant_id == tenant_id, SedeLanLease.sede_id == sede_id)
        .with_for_update(read=True)
    )
    row = (await session.execute(stmt)).one_or_none()
    return None if row is None else (int(row[0]), row[1])


async def insert_lease(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    sede_id: uuid.UUID,
    device_id: uuid.UUID,
    epoch: int,
    now: datetime,
    expires_at: datetime,
) -> SedeLanLease | None:
    """The sede's first lease, or None when a concurrent request wrote it first."""
    stmt = (
        insert(SedeLanLease)
        .values(
            tenant_id=tenant_id,
            sede_id=sede_id,
            device_id=device_id,
            epoch=epoch,
            granted_at=now,
            expires_at=expires_at,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "sede_id"])
        .returning(SedeLanLease)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def active_devices(
    session: AsyncSession, tenant_id: uuid.UUID, sede_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Of `ids`, the cajas that are active in this sede."""
    if not ids:
        return set()
    stmt = select(Device.id).where(
        Device.tenant_id == tenant_id,
        Device.sede_id == sede_id,
        Device.status == "active",
        Device.id == uuids(ids),
    )
    return set((await session.execute(stmt)).scalars())
