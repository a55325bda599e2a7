"""Every query of the backups feature. Each filters by tenant (RLS does too)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.models import CajaBackup, Sale, SyncOp

_NEWEST_FIRST = (CajaBackup.created_at.desc(), CajaBackup.id.desc())


async def list_backups(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    device_id: uuid.UUID | None = None,
    sede_id: uuid.UUID | None = None,
    limit: int = 200,
) -> Sequence[CajaBackup]:
    query = select(CajaBackup).where(CajaBackup.tenant_id == tenant_id)
    if device_id is not None:
        query = query.where(CajaBackup.device_id == device_id)
    if sede_id is not None:
        query = query.where(CajaBackup.sede_id == sede_id)
    return (await session.execute(query.order_by(*_NEWEST_FIRST).limit(limit))).scalars().all()


async def get_backup(
    session: AsyncSession, tenant_id: uuid.UUID, backup_id: uuid.UUID
) -> CajaBackup | None:
    return (
        await session.execute(
            select(CajaBackup).where(CajaBackup.tenant_id == tenant_id, CajaBackup.id == backup_id)
        )
    ).scalar_one_or_none()


async def beyond_newest(
    session: AsyncSession, tenant_id: uuid.UUID, device_id: uuid.UUID, keep: int
) -> Sequence[CajaBackup]:
    """The device's backups past its newest `keep`, locked so two uploads prune once."""
    return (
        (
            await session.execute(
                select(CajaBackup)
                .where(CajaBackup.tenant_id == tenant_id, CajaBackup.device_id == device_id)
                .order_by(*_NEWEST_FIRST)
                .offset(keep)
                .with_for_update()
            )
        )
        .scalars()
        .all()
    )


async def device_ops(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    device_id: uuid.UUID,
    after_op_id: uuid.UUID | None,
) -> tuple[int, int | None, uuid.UUID | None, datetime | None]:
    """(ops received from the device, those past `after_op_id`, the newest op id, when)."""
    where = (SyncOp.tenant_id == tenant_id, SyncOp.device_id == device_id)
    total, last_at = (
        await session.execute(select(func.count(), func.max(SyncOp.created_at)).where(*where))
    ).one()
    last_id = (
        await session.execute(
            select(SyncOp.op_id).where(*where).order_by(SyncOp.op_id.desc()).limit(1)
        )
    ).scalar_one_or_none()
    after: int | None = None
    if after_op_id is not None:
        after = (
            await session.execute(select(func.count()).where(*where, SyncOp.op_id > after_op_id))
        ).scalar_one()
    received: datetime | None = last_at
    return int(total), after, last_id, received


async def last_sale_number(
    session: AsyncSession, tenant_id: uuid.UUID, device_id: uuid.UUID
) -> int:
    number = (
        await session.execute(
            select(func.max(Sale.number)).where(
                Sale.tenant_id == tenant_id, Sale.device_id == device_id
            )
        )
    ).scalar_one_or_none()
    return int(number or 0)
