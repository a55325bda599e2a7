"""Queries on users (RLS scopes every one to the session's tenant; we filter too)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.models import Sede, User


async def list_users(
    session: AsyncSession, tenant_id: uuid.UUID, sede_id: uuid.UUID | None
) -> list[User]:
    query = select(User).where(User.tenant_id == tenant_id)
    if sede_id is not None:
        query = query.where(User.sede_id == sede_id)
    return list((await session.execute(query.order_by(User.email))).scalars())


async def get_user(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User | None:
    return (
        await session.execute(
            select(User).where(User.tenant_id == tenant_id, User.id == user_id).with_for_update()
        )
    ).scalar_one_or_none()


async def email_taken(
    session: AsyncSession, tenant_id: uuid.UUID, email: str, exclude: uuid.UUID | None = None
) -> bool:
    query = select(User.id).where(User.tenant_id == tenant_id, User.email == email)
    if exclude is not None:
        query = query.where(User.id != exclude)
    return (await session.execute(query)).first() is not None


async def sede_exists(session: AsyncSession, tenant_id: uuid.UUID, sede_id: uuid.UUID) -> bool:
    query = select(Sede.id).where(Sede.tenant_id == tenant_id, Sede.id == sede_id)
    return (await session.execute(query)).first() is not None
