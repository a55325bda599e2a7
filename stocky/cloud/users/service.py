"""Rules for users: who may create, change or disable whom. Services never commit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.auth.service import revoke_user_sessions
from stocky.cloud.auth.tokens import ROLE_RANK, Principal
from stocky.cloud.models import User
from stocky.cloud.users import repository as repo
from stocky.cloud.users.schemas import UserCreate, UserUpdate
from stocky.core.errors import BadRequestError, ConflictError, ForbiddenError, NotFoundError
from stocky.core.ids import new_id
from stocky.core.passwords import hash_password

SEDE_ROLES = ("manager", "cashier")


def _check_role_grant(actor: Principal, role: str) -> None:
    # Nobody grants a role at or above their own, except owners (a business may have several).
    if actor.role != "owner" and ROLE_RANK[role] >= ROLE_RANK[actor.role]:
        raise ForbiddenError(f"A {actor.role} cannot give the {role} role.")


def _check_reach(actor: Principal, target: User) -> None:
    if actor.role == "manager" and target.sede_id != actor.sede_id:
        raise ForbiddenError("A manager can only manage the users of their own sede.")
    if actor.user_id != target.id:
        _check_role_grant(actor, target.role)


async def _check_sede(
    session: AsyncSession, actor: Principal, role: str, sede_id: uuid.UUID | None
) -> None:
    if role in SEDE_ROLES and sede_id is None:
        raise BadRequestError(f"sede_id: a {role} must belong to a sede.", field="sede_id")
    if sede_id is not None and not await repo.sede_exists(session, actor.tenant_id, sede_id):
        raise BadRequestError("sede_id: there is no such sede.", field="sede_id")
    if actor.role == "manager" and sede_id != actor.sede_id:
        raise ForbiddenError("A manager can only manage the users of their own sede.")


async def _flush_unique(session: AsyncSession, email: str) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        raise ConflictError(f"email: {email} is already used in this business.") from exc


async def list_users(session: AsyncSession, actor: Principal) -> list[User]:
    sede = actor.sede_id if actor.role == "manager" else None
    if actor.role == "manager" and sede is None:
        return []
    return await repo.list_users(session, actor.tenant_id, sede)


async def get_user(session: AsyncSession, actor: Principal, user_id: uuid.UUID) -> User:
    user = await repo.get_user(session, actor.tenant_id, user_id)
    if user is None:
        raise NotFoundError("There is no such user.")
    if actor.role == "manager" and user.sede_id != actor.sede_id and user.id != actor.user_id:
        raise ForbiddenError("A manager can only see the users of their own sede.")
    return user


async def create_user(session: AsyncSession, actor: Principal, data: UserCreate) -> User:
    sede_id = data.sede_id
    if actor.role == "manager" and sede_id is None:
        sede_id = actor.sede_id
    _check_role_grant(actor, data.role)
    await _check_sede(session, actor, data.role, sede_id)
    if await repo.email_taken(session, actor.tenant_id, data.email):
        raise ConflictError(f"email: {data.email} is already used in this business.")
    user = User(
        tenant_id=actor.tenant_id,
        id=new_id(),
        sede_id=sede_id,
        email=data.email,
        name=data.name,
        password_hash=hash_password(data.password),
        role=data.role,
    )
    session.add(user)
    await _flush_unique(session, data.email)
    await session.refresh(user)
    return user


async def _apply_email(
    session: AsyncSession, actor: Principal, user: User, email: str | None
) -> None:
    if email and email != user.email:
        if await repo.email_taken(session, actor.tenant_id, email, exclude=user.id):
            raise ConflictError(f"email: {email} is already used in this business.")
        user.email = email


async def update_user(
    session: AsyncSession, actor: Principal, user_id: uuid.UUID, data: UserUpdate
) -> User:
    user = await get_user(session, actor, user_id)
    _check_reach(actor, user)
    changes = data.model_dump(exclude_unset=True)
    is_self = user.id == actor.user_id
    if is_self and ({"role", "active", "sede_id"} & changes.keys()):
        raise ForbiddenError("You cannot change your own role, sede or status.")
    role = changes.get("role") or user.role
    if "role" in changes:
        if changes["role"] is None:
            raise BadRequestError("role: cannot be empty.", field="role")
        _check_role_grant(actor, role)
    if "role" in changes or "sede_id" in changes:
        await _check_sede(session, actor, role, changes.get("sede_id", user.sede_id))
    await _apply_email(session, actor, user, changes.get("email"))
    for field in ("name", "role", "language"):
        if changes.get(field) is not None:
            setattr(user, field, changes[field])
    if "sede_id" in changes:
        user.sede_id = changes["sede_id"]
    if changes.get("password"):
        user.password_hash = hash_password(changes["password"])
    if changes.get("active") is not None:
        user.active = changes["active"]
    if session.is_modified(user):
        user.version = user.version + 1
        user.updated_at = datetime.now(UTC)
        if not user.active or "password" in changes or "role" in changes:
            # Disabled, re-keyed or re-roled: its open sessions must not outlive the change.
            await revoke_user_sessions(session, user)
        await _flush_unique(session, user.email)
    return user


async def disable_user(session: AsyncSession, actor: Principal, user_id: uuid.UUID) -> User:
    return await update_user(session, actor, user_id, UserUpdate(active=False))
