"""Queries for login, refresh tokens and device credentials."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.models import Device, RefreshToken, Tenant, User


@dataclass(frozen=True)
class LoginCandidate:
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    tenant_slug: str


async def login_candidates(session: AsyncSession, email: str) -> list[LoginCandidate]:
    """Every tenant holding this email (a SECURITY DEFINER lookup: the tenant is unknown)."""
    rows = await session.execute(
        text("SELECT tenant_id, user_id, tenant_slug FROM stocky_login_candidates(:email)"),
        {"email": email},
    )
    return [LoginCandidate(r.tenant_id, r.user_id, r.tenant_slug) for r in rows]


async def get_user_in_tenant(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> User | None:
    return (
        await session.execute(select(User).where(User.tenant_id == tenant_id, User.id == user_id))
    ).scalar_one_or_none()


@dataclass(frozen=True)
class UserStanding:
    active: bool
    role: str
    sede_id: uuid.UUID | None


async def user_standing(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> UserStanding | None:
    """What a token's user may do now (a primary-key lookup, run on every request)."""
    row = (
        await session.execute(
            select(User.active, User.role, User.sede_id).where(
                User.tenant_id == tenant_id, User.id == user_id
            )
        )
    ).first()
    return UserStanding(row.active, row.role, row.sede_id) if row else None


async def get_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant | None:
    return (
        await session.execute(select(Tenant).where(Tenant.id == tenant_id))
    ).scalar_one_or_none()


async def find_refresh_token(
    session: AsyncSession, tenant_id: uuid.UUID, token_hash: str
) -> RefreshToken | None:
    return (
        await session.execute(
            select(RefreshToken)
            .where(RefreshToken.tenant_id == tenant_id, RefreshToken.token_hash == token_hash)
            .with_for_update()
        )
    ).scalar_one_or_none()


async def revoke_refresh_tokens(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    now: datetime,
    keep_hash: str | None = None,
) -> None:
    """Revoke the user's live refresh tokens, but the one hashed `keep_hash` if given."""
    stmt = update(RefreshToken).where(
        RefreshToken.tenant_id == tenant_id,
        RefreshToken.user_id == user_id,
        RefreshToken.revoked_at.is_(None),
    )
    if keep_hash is not None:
        stmt = stmt.where(RefreshToken.token_hash != keep_hash)
    await session.execute(stmt.values(revoked_at=now))


async def get_device(
    session: AsyncSession, tenant_id: uuid.UUID, device_id: uuid.UUID
) -> Device | None:
    return (
        await session.execute(
            select(Device).where(Device.tenant_id == tenant_id, Device.id == device_id)
        )
    ).scalar_one_or_none()
