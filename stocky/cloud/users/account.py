"""A user's own account: their password and their profile (name, language). Any role.

Changing the password takes the current one, counted per user like setting a PIN
(stocky.cloud.users.pins): the endpoint must not be a faster way to guess a password than
the login. The new hash reaches the sede's cajas with the user row (the users feed trigger
fires on password_hash, migration 0012), so offline login there follows. Services never
commit.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.auth import throttle
from stocky.cloud.auth.service import revoke_user_sessions
from stocky.cloud.auth.tokens import Principal
from stocky.cloud.models import User
from stocky.cloud.redis import RedisClient
from stocky.cloud.users import repository as repo
from stocky.cloud.users.schemas import MeUpdate, PasswordChange
from stocky.core.errors import ForbiddenError, NotFoundError
from stocky.core.passwords import hash_password, verify_password

MAX_WRONG_PASSWORDS = 10
WINDOW_SECONDS = 15 * 60


def _changed(user: User) -> None:
    user.version = user.version + 1
    user.updated_at = datetime.now(UTC)


async def _own_row(session: AsyncSession, actor: Principal) -> User:
    if actor.user_id is None:
        raise ForbiddenError("Only a user has an account to change.")
    user = await repo.get_user(session, actor.tenant_id, actor.user_id)
    if user is None or not user.active:
        raise NotFoundError("There is no such user.")
    return user


async def change_own_password(
    session: AsyncSession, redis: RedisClient, actor: Principal, body: PasswordChange
) -> User:
    """Check the current password (403 naming `current_password`), store the new one's
    hash and end the user's other sessions (`body.refresh_token`'s is kept)."""
    user = await _own_row(session, actor)
    slot = await throttle.take(
        redis,
        f"throttle:password-change:{user.id}",
        limit=MAX_WRONG_PASSWORDS,
        window_seconds=WINDOW_SECONDS,
        reason="Too many wrong passwords.",
    )
    if not await asyncio.to_thread(verify_password, user.password_hash, body.current_password):
        raise ForbiddenError(
            "current_password: that is not your password.", field="current_password"
        )
    await throttle.give_back(redis, slot)
    user.password_hash = await asyncio.to_thread(hash_password, body.new_password)
    _changed(user)
    await revoke_user_sessions(session, user, keep_token=body.refresh_token)
    await session.flush()
    return user


async def update_me(session: AsyncSession, actor: Principal, body: MeUpdate) -> User:
    """Change the caller's own name and language; fields not sent stay as they are."""
    user = await _own_row(session, actor)
    changes = {
        field: value
        for field, value in body.model_dump(exclude_none=True).items()
        if getattr(user, field) != value
    }
    if changes:
        for field, value in changes.items():
            setattr(user, field, value)
        _changed(user)
        await session.flush()
    return user
