"""Every query of the realtime feature: sede presence, the tenant's sede ids, and whether
the credentials behind open sockets still stand."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.auth.tokens import Principal
from stocky.cloud.models import Device, Sede, User


async def tenant_sede_ids(session: AsyncSession, tenant_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.execute(
        select(Sede.id).where(Sede.tenant_id == tenant_id, Sede.active.is_(True))
    )
    return list(rows.scalars())


async def mark_online(
    session: AsyncSession, tenant_id: uuid.UUID, sede_ids: Collection[uuid.UUID], now: datetime
) -> list[uuid.UUID]:
    """Refresh the sedes' last ping; return those that were offline until now."""
    if not sede_ids:
        return []
    ids = list(sede_ids)
    came_online = await session.execute(
        update(Sede)
        .where(Sede.tenant_id == tenant_id, Sede.id.in_(ids), Sede.is_online.is_(False))
        .values(is_online=True)
        .returning(Sede.id)
    )
    changed = list(came_online.scalars())
    await session.execute(
        update(Sede).where(Sede.tenant_id == tenant_id, Sede.id.in_(ids)).values(last_ping_at=now)
    )
    return changed


async def stale_sedes(session: AsyncSession, cutoff: datetime) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Sedes marked online but silent since before `cutoff`, by tenant (all tenants)."""
    rows = await session.execute(
        text("SELECT tenant_id, sede_id FROM stocky_stale_sedes(:cutoff)"), {"cutoff": cutoff}
    )
    found: dict[uuid.UUID, list[uuid.UUID]] = {}
    for tenant_id, sede_id in rows:
        found.setdefault(tenant_id, []).append(sede_id)
    return found


async def mark_offline(
    session: AsyncSession, tenant_id: uuid.UUID, sede_ids: list[uuid.UUID], cutoff: datetime
) -> list[tuple[uuid.UUID, datetime | None]]:
    """Mark still-silent sedes offline; the guard makes one process win when several race."""
    rows = await session.execute(
        update(Sede)
        .where(
            Sede.tenant_id == tenant_id,
            Sede.id.in_(sede_ids),
            Sede.is_online.is_(True),
            (Sede.last_ping_at.is_(None)) | (Sede.last_ping_at < cutoff),
        )
        .values(is_online=False)
        .returning(Sede.id, Sede.last_ping_at)
    )
    return [(sede_id, last) for sede_id, last in rows]


async def unusable_devices(
    session: AsyncSession, tenant_id: uuid.UUID, device_ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of `device_ids` that are revoked or gone."""
    if not device_ids:
        return set()
    ids = set(device_ids)
    rows = await session.execute(
        select(Device.id).where(
            Device.tenant_id == tenant_id, Device.id.in_(ids), Device.status == "active"
        )
    )
    return ids - set(rows.scalars())


async def stale_users(
    session: AsyncSession, tenant_id: uuid.UUID, principals: Collection[Principal]
) -> set[uuid.UUID]:
    """Users whose token no longer matches them: disabled, gone, or another role or sede."""
    wanted = {p.user_id: p for p in principals if p.user_id is not None}
    if not wanted:
        return set()
    rows = await session.execute(
        select(User.id, User.active, User.role, User.sede_id).where(
            User.tenant_id == tenant_id, User.id.in_(list(wanted))
        )
    )
    good = {
        user_id
        for user_id, active, role, sede_id in rows
        if active and role == wanted[user_id].role and sede_id == wanted[user_id].sede_id
    }
    return set(wanted) - good
