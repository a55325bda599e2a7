"""Queries on sedes."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.models import Sede


async def list_sedes(
    session: AsyncSession, tenant_id: uuid.UUID, only: uuid.UUID | None
) -> list[Sede]:
    query = select(Sede).where(Sede.tenant_id == tenant_id)
    if only is not None:
        query = query.where(Sede.id == only)
    return list((await session.execute(query.order_by(Sede.name))).scalars())


async def get_sede(
    session: AsyncSession, tenant_id: uuid.UUID, sede_id: uuid.UUID, *, lock: bool = False
) -> Sede | None:
    query = select(Sede).where(Sede.tenant_id == tenant_id, Sede.id == sede_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def name_taken(
    session: AsyncSession, tenant_id: uuid.UUID, name: str, exclude: uuid.UUID | None = None
) -> bool:
    query = select(Sede.id).where(Sede.tenant_id == tenant_id, Sede.name == name)
    if exclude is not None:
        query = query.where(Sede.id != exclude)
    return (await session.execute(query)).first() is not None
