"""Login, refresh-token rotation, and the opaque secrets cajas and sessions carry.

Refresh tokens (`rt_<tenant>_<secret>`) and device credentials (`dc_<tenant>_<device>_<secret>`)
embed their tenant id so the lookup runs inside that tenant's RLS transaction; only their
sha256 is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.audit.recorder import AuditContext, attach
from stocky.cloud.auth import passwords
from stocky.cloud.auth import repository as repo
from stocky.cloud.auth.keys import KeyRing
from stocky.cloud.auth.tokens import Principal, issue_access_token
from stocky.cloud.config import Settings
from stocky.cloud.db import SessionMaker, set_tenant, tenant_transaction
from stocky.cloud.errors import ConflictError, UnauthorizedError
from stocky.cloud.models import Device, RefreshToken, User
from stocky.core.ids import new_id

WRONG_LOGIN = "Wrong email or password."


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(hex=value)
    except ValueError:
        return None


def new_refresh_token(tenant_id: uuid.UUID) -> str:
    return f"rt_{tenant_id.hex}_{secrets.token_urlsafe(32)}"


def refresh_token_tenant(token: str) -> uuid.UUID | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "rt" or not parts[2]:
        return None
    return _parse_uuid(parts[1])


def new_device_credential(tenant_id: uuid.UUID, device_id: uuid.UUID) -> str:
    return f"dc_{tenant_id.hex}_{device_id.hex}_{secrets.token_urlsafe(32)}"


def device_credential_ids(credential: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    parts = credential.split("_", 3)
    if len(parts) != 4 or parts[0] != "dc" or not parts[3]:
        return None
    tenant_id, device_id = _parse_uuid(parts[1]), _parse_uuid(parts[2])
    if tenant_id is None or device_id is None:
        return None
    return tenant_id, device_id


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
    user: User


async def issue_tokens(
    session: AsyncSession, keys: KeyRing, settings: Settings, user: User
) -> TokenPair:
    """A fresh access token and refresh token for `user` (the caller's transaction commits)."""
    now = datetime.now(UTC)
    access, access_exp = issue_access_token(
        keys,
        user_id=user.id,
        tenant_id=user.tenant_id,
        sede_id=user.sede_id,
        role=user.role,
        ttl=timedelta(minutes=settings.access_token_minutes),
        now=now,
    )
    refresh = new_refresh_token(user.tenant_id)
    refresh_exp = now + timedelta(days=settings.refresh_token_days)
    session.add(
        RefreshToken(
            tenant_id=user.tenant_id,
            id=new_id(),
            user_id=user.id,
            token_hash=sha256_hex(refresh),
            expires_at=refresh_exp,
        )
    )
    await session.flush()
    return TokenPair(access, access_exp, refresh, refresh_exp, user)


async def login(
    sessionmaker: SessionMaker,
    keys: KeyRing,
    settings: Settings,
    *,
    email: str,
    password: str,
    tenant_slug: str | None,
    client_address: str | None,
) -> TokenPair:
    """Check the password and open a session; every miss costs one argon2 verify."""
    async with tenant_transaction(sessionmaker, None) as session:
        candidates = await repo.login_candidates(session, email)
    if tenant_slug is not None:
        candidates = [c for c in candidates if c.tenant_slug == tenant_slug]
    if len(candidates) > 1:
        raise ConflictError(
            "This email belongs to several businesses: say which one in the tenant field.",
            tenants=sorted(c.tenant_slug for c in candidates),
        )
    if not candidates:
        passwords.verify_password(passwords.DUMMY_HASH, password)
        raise UnauthorizedError(WRONG_LOGIN)
    candidate = candidates[0]
    async with tenant_transaction(sessionmaker, candidate.tenant_id) as session:
        user = await repo.get_user_in_tenant(session, candidate.tenant_id, candidate.user_id)
        tenant = await repo.get_tenant(session, candidate.tenant_id)
        if user is None or tenant is None:
            passwords.verify_password(passwords.DUMMY_HASH, password)
            raise UnauthorizedError(WRONG_LOGIN)
        if not passwords.verify_password(user.password_hash, password):
            raise UnauthorizedError(WRONG_LOGIN)
        if not user.active:
            raise UnauthorizedError("This user is disabled; ask an administrator.")
        if tenant.status != "active":
            raise UnauthorizedError("This business is suspended.")
        attach(session, AuditContext(tenant.id, user.id, client_address=client_address))
        return await issue_tokens(session, keys, settings, user)


async def refresh(
    sessionmaker: SessionMaker, keys: KeyRing, settings: Settings, token: str
) -> TokenPair:
    """Rotate a refresh token. Presenting a revoked one revokes the user's whole family."""
    tenant_id = refresh_token_tenant(token)
    if tenant_id is None:
        raise UnauthorizedError("The refresh token is not valid.")
    now = datetime.now(UTC)
    async with tenant_transaction(sessionmaker, tenant_id) as session:
        row = await repo.find_refresh_token(session, tenant_id, sha256_hex(token))
        if row is None:
            raise UnauthorizedError("The refresh token is not valid.")
        reused = row.revoked_at is not None
        if reused:
            # A revoked token coming back means it leaked: end every session of this user.
            await repo.revoke_refresh_tokens(session, tenant_id, row.user_id, now)
        user = await repo.get_user_in_tenant(session, tenant_id, row.user_id)
        tenant = await repo.get_tenant(session, tenant_id)
        ok = (
            not reused
            and row.expires_at > now
            and user is not None
            and user.active
            and tenant is not None
            and tenant.status == "active"
        )
        if ok and user is not None:
            row.revoked_at = now
            return await issue_tokens(session, keys, settings, user)
    raise UnauthorizedError("The refresh token was revoked or has expired; sign in again.")


async def revoke_user_sessions(session: AsyncSession, user: User) -> None:
    """End every refresh token of `user` (disabling a user calls this)."""
    await repo.revoke_refresh_tokens(session, user.tenant_id, user.id, datetime.now(UTC))


async def authenticate_device(sessionmaker: SessionMaker, credential: str) -> Principal:
    """The caja behind a device credential; revoked or unknown credentials are refused."""
    async with sessionmaker() as session, session.begin():
        return await authenticate_device_in(session, credential)


async def authenticate_device_in(session: AsyncSession, credential: str) -> Principal:
    """`authenticate_device` in the caller's transaction, which it scopes to the caja's
    tenant: a caja's request checks its credential and does its work in one transaction."""
    ids = device_credential_ids(credential)
    if ids is None:
        raise UnauthorizedError("The device credential is not valid.")
    tenant_id, device_id = ids
    await set_tenant(session, tenant_id)
    device: Device | None = await repo.get_device(session, tenant_id, device_id)
    if device is None or not hmac.compare_digest(device.credential_hash, sha256_hex(credential)):
        raise UnauthorizedError("The device credential is not valid.")
    if device.status != "active":
        raise UnauthorizedError("This caja was revoked; activate it again with a new code.")
    return Principal(
        tenant_id=tenant_id, role="cashier", sede_id=device.sede_id, device_id=device.id
    )
