"""/api/users: list, create, read, change and disable users (manager or higher)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from stocky.cloud.auth.deps import TenantSession, require_role
from stocky.cloud.auth.tokens import Principal
from stocky.cloud.realtime.emit import Realtime
from stocky.cloud.users import service
from stocky.cloud.users.schemas import UserCreate, UserOut, UserUpdate

router = APIRouter(prefix="/api/users", tags=["users"])
Manager = Annotated[Principal, Depends(require_role("manager"))]
# A change to any of these ends the user's open sockets (their rooms came from the old ones).
SOCKET_FIELDS = frozenset({"active", "role", "sede_id", "password"})


@router.get("", summary="Users (a manager sees its own sede's)")
async def list_users(actor: Manager, session: TenantSession) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in await service.list_users(session, actor)]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a user")
async def create_user(body: UserCreate, actor: Manager, session: TenantSession) -> UserOut:
    return UserOut.model_validate(await service.create_user(session, actor, body))


@router.get("/{user_id}", summary="One user")
async def get_user(user_id: uuid.UUID, actor: Manager, session: TenantSession) -> UserOut:
    return UserOut.model_validate(await service.get_user(session, actor, user_id))


@router.patch("/{user_id}", summary="Change a user; active=false disables it")
async def update_user(
    user_id: uuid.UUID, body: UserUpdate, actor: Manager, session: TenantSession, realtime: Realtime
) -> UserOut:
    user = await service.update_user(session, actor, user_id, body)
    if not user.active or body.model_fields_set & SOCKET_FIELDS:
        realtime.drop_user(session, user.id)  # its sockets were let in as it was before
    return UserOut.model_validate(user)


@router.delete("/{user_id}", summary="Disable a user and end its sessions")
async def disable_user(
    user_id: uuid.UUID, actor: Manager, session: TenantSession, realtime: Realtime
) -> UserOut:
    user = await service.disable_user(session, actor, user_id)
    realtime.drop_user(session, user.id)
    return UserOut.model_validate(user)
