"""Issuing activation codes, activating cajas, and revoking them. Services never commit."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.activation import ratelimit
from stocky.cloud.activation import repository as repo
from stocky.cloud.activation.schemas import (
    ActivateOut,
    Catalog,
    DeviceOut,
    SedeInfo,
    SyncedBarcode,
    SyncedInventory,
    SyncedProduct,
    SyncedUser,
    TenantInfo,
)
from stocky.cloud.audit.recorder import AuditContext, attach
from stocky.cloud.auth.keys import KeyRing
from stocky.cloud.auth.repository import get_tenant
from stocky.cloud.auth.service import new_device_credential, sha256_hex
from stocky.cloud.auth.tokens import Principal
from stocky.cloud.db import SessionMaker, tenant_transaction
from stocky.cloud.errors import ConflictError, ForbiddenError, GoneError, NotFoundError
from stocky.cloud.models import ActivationCode, Device
from stocky.cloud.redis import RedisClient
from stocky.cloud.sedes.service import get_sede
from stocky.core.ids import new_id

WRONG_CODE = "That activation code is not valid. Check the 6 digits and try again."


def code_hash(code: str) -> str:
    return hashlib.sha256(f"stocky-activation:{code}".encode()).hexdigest()


@dataclass(frozen=True)
class IssuedCode:
    code: str
    sede_id: uuid.UUID
    expires_at: datetime


async def issue_code(
    session: AsyncSession, actor: Principal, sede_id: uuid.UUID, ttl: timedelta
) -> IssuedCode:
    sede = await get_sede(session, actor, sede_id)
    if not sede.active:
        raise ConflictError("This sede is closed; reopen it before activating cajas.")
    while True:
        code = f"{secrets.randbelow(1_000_000):06d}"
        # Two live codes must never share digits, in any tenant.
        if await repo.find_code(session, code_hash(code)) is None:
            break
    expires = datetime.now(UTC) + ttl
    session.add(
        ActivationCode(
            tenant_id=actor.tenant_id,
            id=new_id(),
            sede_id=sede.id,
            code_hash=code_hash(code),
            expires_at=expires,
            created_by=actor.user_id,
        )
    )
    await session.flush()
    return IssuedCode(code, sede.id, expires)


async def activate(
    sessionmaker: SessionMaker,
    redis: RedisClient,
    keys: KeyRing,
    *,
    code: str,
    device_name: str,
    client_address: str,
    cloud_url: str,
) -> ActivateOut:
    """Bind a new caja to the code's sede and hand it everything it needs to start."""
    client = ratelimit.address_bucket(client_address)
    await ratelimit.check_everywhere(redis)
    await ratelimit.check(redis, "ip", client)
    async with tenant_transaction(sessionmaker, None) as session:
        match = await repo.find_code(session, code_hash(code))
    if match is None:
        await ratelimit.fail(redis, "ip", client)
        await ratelimit.fail(redis, *ratelimit.EVERYWHERE)
        raise NotFoundError(WRONG_CODE)
    await ratelimit.check(redis, "sede", str(match.sede_id))
    now = datetime.now(UTC)
    async with tenant_transaction(sessionmaker, match.tenant_id) as session:
        row = await repo.lock_code(session, match.tenant_id, match.code_id)
        if row is None:  # deleted between the lookup and the lock
            raise NotFoundError(WRONG_CODE)
        if row.used_at is not None or row.expires_at <= now:
            error: ConflictError | GoneError = (
                ConflictError("This activation code was already used. Ask for a new one.")
                if row.used_at is not None
                else GoneError("This activation code has expired. Ask for a new one.")
            )
            row.failed_attempts = row.failed_attempts + 1
            failure = error
        else:
            failure = None
            result = await _register_device(
                session, keys, row, device_name, client_address, cloud_url, now
            )
    if failure is not None:
        await ratelimit.fail(redis, "ip", client)
        await ratelimit.fail(redis, "sede", str(match.sede_id))
        raise failure
    return result


async def _register_device(
    session: AsyncSession,
    keys: KeyRing,
    row: ActivationCode,
    device_name: str,
    client_address: str,
    cloud_url: str,
    now: datetime,
) -> ActivateOut:
    tenant = await get_tenant(session, row.tenant_id)
    actor = Principal(tenant_id=row.tenant_id, role="admin")
    sede = await get_sede(session, actor, row.sede_id)
    if tenant is None or tenant.status != "active" or not sede.active:
        raise ConflictError("This business or sede is not active; cajas cannot join it now.")
    device_id = new_id()
    attach(
        session,
        AuditContext(
            row.tenant_id,
            device_id=device_id,
            client_address=client_address,
            method="POST",
            path="/api/activate",
        ),
    )
    credential = new_device_credential(row.tenant_id, device_id)
    device = Device(
        tenant_id=row.tenant_id,
        id=device_id,
        sede_id=sede.id,
        name=device_name,
        credential_hash=sha256_hex(credential),
        activated_at=now,
        last_seen_at=now,
        status="active",
    )
    session.add(device)
    row.used_at = now
    row.used_by_device_id = device_id
    await session.flush()
    users = await repo.tenant_users(session, row.tenant_id)
    return ActivateOut(
        tenant=TenantInfo(
            id=tenant.id,
            name=tenant.name,
            currency=tenant.currency,
            locale=tenant.locale,
            timezone=tenant.timezone,
        ),
        sede=SedeInfo(id=sede.id, name=sede.name, timezone=sede.timezone, config=sede.config),
        device=DeviceOut.model_validate(device),
        device_credential=credential,
        jwks=keys.jwks(),
        cloud_url=cloud_url,
        users=[SyncedUser.model_validate(u) for u in users],
        catalog=Catalog(
            products=[
                SyncedProduct.model_validate(p) for p in await repo.products(session, tenant.id)
            ],
            barcodes=[
                SyncedBarcode.model_validate(b) for b in await repo.barcodes(session, tenant.id)
            ],
            inventory=[
                SyncedInventory.model_validate(i)
                for i in await repo.inventory(session, tenant.id, sede.id)
            ],
        ),
    )


async def list_devices(
    session: AsyncSession, actor: Principal, sede_id: uuid.UUID | None
) -> list[Device]:
    if not actor.at_least("admin"):
        if sede_id is not None and sede_id != actor.sede_id:
            raise ForbiddenError("A manager can only see the cajas of their own sede.")
        if actor.sede_id is None:
            return []
        sede_id = actor.sede_id
    return await repo.list_devices(session, actor.tenant_id, sede_id)


async def revoke_device(session: AsyncSession, actor: Principal, device_id: uuid.UUID) -> Device:
    """Revoke a caja: its credential stops working on its next call."""
    device = await repo.get_device(session, actor.tenant_id, device_id)
    if device is None:
        raise NotFoundError("There is no such caja.")
    if device.status != "revoked":
        device.status = "revoked"
        device.revoked_at = datetime.now(UTC)
        await session.flush()
    return device
