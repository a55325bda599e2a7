"""Creating tenants: the business and its owner, in one transaction."""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.db import set_tenant
from stocky.cloud.models import Tenant, User
from stocky.core.ids import new_id
from stocky.core.passwords import hash_password


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:60] or "tenant"


@dataclass(frozen=True)
class CreatedTenant:
    tenant: Tenant
    owner: User


async def create_tenant(
    session: AsyncSession,
    *,
    name: str,
    owner_email: str,
    owner_password: str,
    owner_name: str | None = None,
    currency: str = "COP",
    locale: str = "es-CO",
    timezone: str = "America/Bogota",
) -> CreatedTenant:
    """Create a tenant and its owner; the caller's transaction commits.

    Scopes the session to the new tenant first: RLS only lets a transaction write rows of
    the tenant it is scoped to.
    """
    tenant_id = new_id()
    await set_tenant(session, tenant_id)
    tenant = Tenant(
        id=tenant_id,
        name=name.strip(),
        slug=f"{slugify(name)}-{tenant_id.hex[-6:]}",
        currency=currency.upper(),
        locale=locale,
        timezone=timezone,
    )
    session.add(tenant)
    await session.flush()
    owner = User(
        tenant_id=tenant_id,
        id=new_id(),
        email=owner_email.strip().lower(),
        name=owner_name or owner_email.split("@")[0],
        password_hash=hash_password(owner_password),
        role="owner",
    )
    session.add(owner)
    await session.flush()
    return CreatedTenant(tenant, owner)


async def get_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant | None:
    return (
        await session.execute(select(Tenant).where(Tenant.id == tenant_id))
    ).scalar_one_or_none()
