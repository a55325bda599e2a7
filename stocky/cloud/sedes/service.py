"""Rules for sedes: admins run them all; below admin, only your own sede."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.auth.tokens import Principal
from stocky.cloud.models import Sede
from stocky.cloud.sedes import repository as repo
from stocky.cloud.sedes.schemas import SedeCreate, SedeUpdate
from stocky.core.errors import ConflictError, ForbiddenError, NotFoundError
from stocky.core.ids import new_id


def _own_sede_only(actor: Principal) -> bool:
    return not actor.at_least("admin")


async def list_sedes(session: AsyncSession, actor: Principal) -> list[Sede]:
    if _own_sede_only(actor):
        if actor.sede_id is None:
            return []
        return await repo.list_sedes(session, actor.tenant_id, actor.sede_id)
    return await repo.list_sedes(session, actor.tenant_id, None)


async def get_sede(
    session: AsyncSession, actor: Principal, sede_id: uuid.UUID, *, lock: bool = False
) -> Sede:
    sede = await repo.get_sede(session, actor.tenant_id, sede_id, lock=lock)
    if sede is None:
        raise NotFoundError("There is no such sede.")
    if _own_sede_only(actor) and sede.id != actor.sede_id:
        raise ForbiddenError("You can only act on your own sede.")
    return sede


async def create_sede(session: AsyncSession, actor: Principal, data: SedeCreate) -> Sede:
    if await repo.name_taken(session, actor.tenant_id, data.name):
        raise ConflictError(f"name: a sede called {data.name!r} already exists.")
    sede = Sede(
        tenant_id=actor.tenant_id,
        id=new_id(),
        name=data.name,
        address=data.address,
        timezone=data.timezone,
        config=data.config,
    )
    session.add(sede)
    await session.flush()
    await session.refresh(sede)
    return sede


async def update_sede(
    session: AsyncSession, actor: Principal, sede_id: uuid.UUID, data: SedeUpdate
) -> Sede:
    sede = await get_sede(session, actor, sede_id, lock=True)
    changes = data.model_dump(exclude_unset=True)
    if "active" in changes and not actor.at_least("admin"):
        raise ForbiddenError("Only an admin can open or close a sede.")
    name = changes.get("name")
    if (
        name
        and name != sede.name
        and await repo.name_taken(session, actor.tenant_id, name, sede.id)
    ):
        raise ConflictError(f"name: a sede called {name!r} already exists.")
    for field in ("name", "address", "timezone", "config", "active"):
        if field in changes and (changes[field] is not None or field in ("address", "timezone")):
            setattr(sede, field, changes[field])
    if session.is_modified(sede):
        sede.version = sede.version + 1
        sede.updated_at = datetime.now(UTC)
        await session.flush()
    return sede
