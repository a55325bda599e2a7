"""Login, refresh-token rotation, and the opaque secrets cajas and sessions carry.

Refresh tokens (`rt_<tenant>_<secret>`) and device credentials (`dc_<tenant>_<device>_<secret>`)
embed their tenant id so the lookup runs inside that tenant's RLS transaction; only their
sha256 is stored.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.audit.recorder import AuditContext, attach
from stocky.cloud.auth import repository as repo
from stocky.cloud.auth import throttle
from stocky.cloud.auth.keys import KeyRing
from stocky.cloud.auth.tokens import Principal, issue_access_token
from stocky.cloud.config import Settings
from stocky.cloud.db import SessionMaker, set_tenant, tenant_transaction
from stocky.cloud.models import AuditLog, Device, RefreshToken, Tenant, User
from stocky.cloud.redis import RedisClient
from stocky.core import passwords
from stocky.core.errors import ConflictError, RateLimitedError, UnauthorizedError
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


# Wrong passwords, counted before each check (stocky.cloud.auth.throttle): per account
# (the email, whatever tenant) and per address (an IPv6 client per /64).
LOGIN_PREFIX = "stocky:login:fail"
MAX_FAILURES_PER_ACCOUNT = 10
MAX_FAILURES_PER_ADDRESS = 50
LOGIN_WINDOW_SECONDS = 15 * 60
TOO_MANY = "Too many failed sign-ins."


@dataclass(frozen=True)
class _Checked:
    candidate: repo.LoginCandidate
    user: User
    tenant: Tenant


async def _take_login_slots(
    redis: RedisClient, email: str, client_address: str | None
) -> list[throttle.Slot]:
    address = throttle.address_bucket(client_address or "unknown")
    slots = [
        await throttle.take(
            redis,
            f"{LOGIN_PREFIX}:ip:{address}",
            limit=MAX_FAILURES_PER_ADDRESS,
            window_seconds=LOGIN_WINDOW_SECONDS,
            reason=TOO_MANY,
        )
    ]
    try:
        slots.append(
            await throttle.take(
                redis,
                f"{LOGIN_PREFIX}:account:{sha256_hex(email)[:32]}",
                limit=MAX_FAILURES_PER_ACCOUNT,
                window_seconds=LOGIN_WINDOW_SECONDS,
                reason=TOO_MANY,
            )
        )
    except RateLimitedError:
        # Someone else locked this account; its owner's address did not fail.
        await throttle.give_back(redis, *slots)
        raise
    return slots


async def _password_matches(
    sessionmaker: SessionMaker, candidates: list[repo.LoginCandidate], password: str
) -> list[_Checked]:
    """The candidates whose password this is. Every one costs one argon2 verify (off the
    event loop); no candidate costs one too, on a dummy hash."""
    if not candidates:
        await asyncio.to_thread(passwords.verify_password, passwords.DUMMY_HASH, password)
        return []
    matched = []
    for candidate in candidates:
        async with tenant_transaction(sessionmaker, candidate.tenant_id) as session:
            user = await repo.get_user_in_tenant(session, candidate.tenant_id, candidate.user_id)
            tenant = await repo.get_tenant(session, candidate.tenant_id)
        stored = user.password_hash if user is not None else passwords.DUMMY_HASH
        ok = await asyncio.to_thread(passwords.verify_password, stored, password)
        if ok and user is not None and tenant is not None:
            matched.append(_Checked(candidate, user, tenant))
    return matched


def _usable(checked: _Checked) -> bool:
    return checked.user.active and checked.tenant.status == "active"


def _refusal(checked: _Checked) -> UnauthorizedError:
    if not checked.user.active:
        return UnauthorizedError("This user is disabled; ask an administrator.")
    return UnauthorizedError("This business is suspended.")


async def login(
    sessionmaker: SessionMaker,
    redis: RedisClient,
    keys: KeyRing,
    settings: Settings,
    *,
    email: str,
    password: str,
    tenant_slug: str | None,
    client_address: str | None,
) -> TokenPair:
    """Check the password and open a session.

    The password is checked before anything about the email is told: an unknown email and a
    wrong password answer the same 401, at the cost of one argon2 verify each. Only when the
    password is right in several businesses is the caller asked to pick one (409), and the
    list names only those. Every attempt is counted first, per account and per address, and
    refused past the limits (429 with Retry-After); a successful one gives its count back.
    """
    slots = await _take_login_slots(redis, email, client_address)
    async with tenant_transaction(sessionmaker, None) as session:
        candidates = await repo.login_candidates(session, email)
    if tenant_slug is not None:
        candidates = [c for c in candidates if c.tenant_slug == tenant_slug]
    matched = await _password_matches(sessionmaker, candidates, password)
    if not matched:
        raise UnauthorizedError(WRONG_LOGIN)  # the slots stay counted
    usable = [m for m in matched if _usable(m)]
    if len(usable) > 1:
        await throttle.give_back(redis, *slots)  # the password was right
        raise ConflictError(
            "This email and password open several businesses: say which one in the tenant field.",
            tenants=sorted(m.candidate.tenant_slug for m in usable),
        )
    if not usable:
        raise _refusal(matched[0])
    pair = await _open_session(sessionmaker, keys, settings, usable[0], client_address)
    await throttle.give_back(redis, *slots)
    return pair


async def _open_session(
    sessionmaker: SessionMaker,
    keys: KeyRing,
    settings: Settings,
    checked: _Checked,
    client_address: str | None,
) -> TokenPair:
    tenant_id, user_id = checked.candidate.tenant_id, checked.candidate.user_id
    async with tenant_transaction(sessionmaker, tenant_id) as session:
        user = await repo.get_user_in_tenant(session, tenant_id, user_id)
        # Changed while its password was being checked (re-keyed, disabled): start over.
        if user is None or user.password_hash != checked.user.password_hash or not user.active:
            raise UnauthorizedError(WRONG_LOGIN)
        attach(session, AuditContext(tenant_id, user.id, client_address=client_address))
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


async def logout(sessionmaker: SessionMaker, token: str, client_address: str | None) -> None:
    """End the session of a refresh token. Unknown, malformed or already revoked tokens do
    nothing, and the caller cannot tell (the answer is the same). A later refresh with it
    is a 401 and, as for any revoked token presented again, ends all the user's sessions.

    refresh_tokens is not audited row by row (stocky.cloud.audit.recorder); the sign-out is
    recorded here as one `auth.logout` entry on the user.
    """
    tenant_id = refresh_token_tenant(token)
    if tenant_id is None:
        return
    async with tenant_transaction(sessionmaker, tenant_id) as session:
        row = await repo.find_refresh_token(session, tenant_id, sha256_hex(token))
        if row is None or row.revoked_at is not None:
            return
        row.revoked_at = datetime.now(UTC)
        session.add(
            AuditLog(
                tenant_id=tenant_id,
                id=new_id(),
                user_id=row.user_id,
                action="auth.logout",
                entity_type="users",
                entity_id=str(row.user_id),
                extra={"method": "POST", "path": "/api/auth/logout"},
                client_address=client_address,
            )
        )


async def revoke_user_sessions(
    session: AsyncSession, user: User, keep_token: str | None = None
) -> None:
    """End every refresh token of `user` (disabling a user calls this), but the one whose
    plain value is `keep_token` (a password change keeps the changer's own session)."""
    keep = sha256_hex(keep_token) if keep_token else None
    await repo.revoke_refresh_tokens(
        session, user.tenant_id, user.id, datetime.now(UTC), keep_hash=keep
    )


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
