"""/api/users: list, create, read, change and disable users (manager or higher), the
approval PINs (set your own; an admin or the owner clears anyone's), and every user's own
account (/me: name, language, password)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from stocky.cloud.auth.deps import CurrentUser, TenantSession, require_role
from stocky.cloud.auth.tokens import Principal
from stocky.cloud.deps import RedisDep
from stocky.cloud.realtime.emit import Realtime
from stocky.cloud.users import account, pins, service
from stocky.cloud.users.schemas import (
    ManagedUserOut,
    MeUpdate,
    PasswordChange,
    PinSet,
    UserCreate,
    UserUpdate,
)
from stocky.core.errors import RATE_LIMITED, error_responses

router = APIRouter(prefix="/api/users", tags=["users"])
Manager = Annotated[Principal, Depends(require_role("manager"))]
# A change to any of these ends the user's open sockets (their rooms came from the old ones).
SOCKET_FIELDS = frozenset({"active", "role", "sede_id", "password"})


@router.get("", summary="Users (a manager sees its own sede's)")
async def list_users(actor: Manager, session: TenantSession) -> list[ManagedUserOut]:
    return [ManagedUserOut.model_validate(u) for u in await service.list_users(session, actor)]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a user")
async def create_user(body: UserCreate, actor: Manager, session: TenantSession) -> ManagedUserOut:
    return ManagedUserOut.model_validate(await service.create_user(session, actor, body))


@router.patch(
    "/me",
    summary="Change my own name or language (any role)",
    responses=error_responses(401, 403, 404, 422),
)
async def update_me(body: MeUpdate, actor: CurrentUser, session: TenantSession) -> ManagedUserOut:
    return ManagedUserOut.model_validate(await account.update_me(session, actor, body))


@router.put(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change my password (with the current one); my other sessions end",
    responses={**RATE_LIMITED, **error_responses(401, 403, 404, 422)},
)
async def change_my_password(
    body: PasswordChange,
    actor: CurrentUser,
    session: TenantSession,
    redis: RedisDep,
    realtime: Realtime,
) -> None:
    user = await account.change_own_password(session, redis, actor, body)
    realtime.drop_user(session, user.id)  # sockets let in under the old password


@router.put(
    "/me/pin",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Set my approval PIN (4-8 digits, with my password); managers and above",
    responses={**RATE_LIMITED, 403: {"description": "Not a manager, or a wrong password"}},
)
async def set_my_pin(body: PinSet, actor: Manager, session: TenantSession, redis: RedisDep) -> None:
    await pins.set_own_pin(session, redis, actor, body)


@router.delete("/me/pin", status_code=status.HTTP_204_NO_CONTENT, summary="Remove my approval PIN")
async def clear_my_pin(actor: Manager, session: TenantSession) -> None:
    if actor.user_id is not None:
        await pins.clear_pin(session, actor, actor.user_id)


@router.delete(
    "/{user_id}/pin",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a user's approval PIN (an admin or the owner, or the user)",
)
async def clear_user_pin(user_id: uuid.UUID, actor: Manager, session: TenantSession) -> None:
    await pins.clear_pin(session, actor, user_id)


@router.get("/{user_id}", summary="One user")
async def get_user(user_id: uuid.UUID, actor: Manager, session: TenantSession) -> ManagedUserOut:
    return ManagedUserOut.model_validate(await service.get_user(session, actor, user_id))


@router.patch("/{user_id}", summary="Change a user; active=false disables it")
async def update_user(
    user_id: uuid.UUID, body: UserUpdate, actor: Manager, session: TenantSession, realtime: Realtime
) -> ManagedUserOut:
    user = await service.update_user(session, actor, user_id, body)
    if not user.active or body.model_fields_set & SOCKET_FIELDS:
        realtime.drop_user(session, user.id)  # its sockets were let in as it was before
    return ManagedUserOut.model_validate(user)


@router.delete("/{user_id}", summary="Disable a user and end its sessions")
async def disable_user(
    user_id: uuid.UUID, actor: Manager, session: TenantSession, realtime: Realtime
) -> ManagedUserOut:
    user = await service.disable_user(session, actor, user_id)
    realtime.drop_user(session, user.id)
    return ManagedUserOut.model_validate(user)
