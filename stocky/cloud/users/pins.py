"""Approval PINs: a manager's 4 to 8 digits, typed at a caja of their sede to approve what a
cashier may not (a whole-ticket return, a big discount: stocky.edge.pos.approval).

Stored argon2-hashed like a password and never returned by any endpoint; the hash reaches
the sede's cajas with the user row (the users feed, migration 0012), as the password's does.
A PIN need not be unique: at the caja the manager is chosen first and the PIN checked
against that one manager only, so refusing a PIN "already taken" (which would tell the
person setting it another manager's PIN) is never needed. Services never commit.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.auth import throttle
from stocky.cloud.auth.tokens import Principal
from stocky.cloud.models import User
from stocky.cloud.redis import RedisClient
from stocky.cloud.users import repository as repo
from stocky.cloud.users.schemas import PinSet
from stocky.core.errors import ForbiddenError, NotFoundError
from stocky.core.passwords import hash_password, verify_password

# Wrong current passwords when setting a PIN, per user: the endpoint must not become a
# faster way to guess a password than the login.
MAX_WRONG_PASSWORDS = 10
WINDOW_SECONDS = 15 * 60


def _changed(user: User) -> None:
    user.version = user.version + 1
    user.updated_at = datetime.now(UTC)


async def set_own_pin(
    session: AsyncSession, redis: RedisClient, actor: Principal, body: PinSet
) -> None:
    """Set the caller's PIN after checking their password (403 naming `password`)."""
    if actor.user_id is None:
        raise ForbiddenError("Only a user sets a PIN.")
    user = await repo.get_user(session, actor.tenant_id, actor.user_id)
    if user is None or not user.active:
        raise NotFoundError("There is no such user.")
    slot = await throttle.take(
        redis,
        f"throttle:pin-password:{user.id}",
        limit=MAX_WRONG_PASSWORDS,
        window_seconds=WINDOW_SECONDS,
        reason="Too many wrong passwords.",
    )
    if not await asyncio.to_thread(verify_password, user.password_hash, body.password):
        raise ForbiddenError("password: that is not your password.", field="password")
    await throttle.give_back(redis, slot)
    user.pin_hash = await asyncio.to_thread(hash_password, body.pin)
    _changed(user)
    await session.flush()


async def clear_pin(session: AsyncSession, actor: Principal, user_id: uuid.UUID) -> None:
    """Remove a user's PIN: their own, or anyone's in the tenant for an admin or owner."""
    if user_id != actor.user_id and not actor.at_least("admin"):
        raise ForbiddenError("Only an admin or the owner can clear another user's PIN.")
    user = await repo.get_user(session, actor.tenant_id, user_id)
    if user is None:
        raise NotFoundError("There is no such user.")
    if user.pin_hash is not None:
        user.pin_hash = None
        _changed(user)
        await session.flush()
