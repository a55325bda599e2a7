"""Issuing activation codes, activating cajas, and revoking them. Services never commit.

Codes are 12 characters of an unambiguous alphabet (stocky.core.activation_codes, with
the numbers on guessing them); attempts are counted before a code is looked up
(stocky.cloud.activation.ratelimit).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

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
from stocky.cloud.models import ActivationCode, Device
from stocky.cloud.redis import RedisClient
from stocky.cloud.sedes.service import get_sede
from stocky.core import activation_codes as codes
from stocky.core.errors import (
    ConflictError,
    ForbiddenError,
    GoneError,
    NotFoundError,
    RateLimitedError,
)
from stocky.core.ids import new_id
from stocky.core.receipts import business_details

WRONG_CODE = "That activation code is not valid. Check the code and try again."


def code_hash(code: str) -> str:
    """The stored hash of a code in canonical form (codes.normalize)."""
    return hashlib.sha256(f"stocky-activation:{code}".encode()).hexdigest()


@dataclass(frozen=True)
class IssuedCode:
    id: uuid.UUID
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
        code = codes.new_code()
        # Two live codes must never be the same, in any tenant (at 2^60, a formality).
        if await repo.find_code(session, code_hash(code)) is None:
            break
    expires = datetime.now(UTC) + ttl
    code_id = new_id()
    session.add(
        ActivationCode(
            tenant_id=actor.tenant_id,
            id=code_id,
            sede_id=sede.id,
            code_hash=code_hash(code),
            expires_at=expires,
            created_by=actor.user_id,
        )
    )
    await session.flush()
    return IssuedCode(code_id, codes.display(code), sede.id, expires)


async def pending_codes(
    session: AsyncSession, actor: Principal, sede_id: uuid.UUID
) -> list[ActivationCode]:
    """The sede's codes that can still activate a caja (not used, not expired)."""
    sede = await get_sede(session, actor, sede_id)
    return await repo.pending_codes(session, actor.tenant_id, sede.id, datetime.now(UTC))


async def revoke_code(
    session: AsyncSession, actor: Principal, sede_id: uuid.UUID, code_id: uuid.UUID
) -> None:
    """Revoke a code that was not used: its row goes (audited as activation_codes.deleted),
    so /api/activate then answers it exactly as a code that never existed. A used code
    stays, as the record of the caja it activated: revoke that caja instead (409)."""
    sede = await get_sede(session, actor, sede_id)
    row = await repo.lock_code(session, actor.tenant_id, code_id)
    if row is None or row.sede_id != sede.id:
        raise NotFoundError("There is no such activation code in this sede.", field="code_id")
    if row.used_at is not None:
        raise ConflictError(
            "This activation code was already used; revoke the caja it activated instead.",
            field="code_id",
        )
    await session.delete(row)
    await session.flush()


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
    # Counted before the lookup: a burst of concurrent guesses cannot all see a low count.
    slots = [await ratelimit.take(redis, "ip", client)]
    canonical = codes.normalize(code)
    match = None
    if canonical is not None:
        async with tenant_transaction(sessionmaker, None) as session:
            match = await repo.find_code(session, code_hash(canonical))
    if match is None:
        raise NotFoundError(WRONG_CODE)
    try:
        slots.append(await ratelimit.take(redis, "sede", str(match.sede_id)))
    except RateLimitedError:
        await ratelimit.give_back(redis, *slots)  # this address did not guess wrong
        raise
    try:
        outcome = await _use_code(sessionmaker, keys, match, device_name, client_address, cloud_url)
    except BaseException:
        await ratelimit.give_back(redis, *slots)  # not the client's guess that failed
        raise
    if not isinstance(outcome, ActivateOut):
        raise outcome  # a used or expired code: its slots stay counted
    await ratelimit.give_back(redis, *slots)
    return outcome


Refusal = NotFoundError | ConflictError | GoneError


async def _use_code(
    sessionmaker: SessionMaker,
    keys: KeyRing,
    match: repo.CodeMatch,
    device_name: str,
    client_address: str,
    cloud_url: str,
) -> ActivateOut | Refusal:
    """The activation, or why this code cannot be used (committed with its failed attempt)."""
    now = datetime.now(UTC)
    async with tenant_transaction(sessionmaker, match.tenant_id) as session:
        row = await repo.lock_code(session, match.tenant_id, match.code_id)
        if row is None:  # deleted between the lookup and the lock
            return NotFoundError(WRONG_CODE)
        if row.used_at is None and row.expires_at > now:
            return await _register_device(
                session, keys, row, device_name, client_address, cloud_url, now
            )
        row.failed_attempts = row.failed_attempts + 1
        if row.used_at is not None:
            return ConflictError("This activation code was already used. Ask for a new one.")
        return GoneError("This activation code has expired. Ask for a new one.")


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
    users = await repo.sede_users(session, row.tenant_id, sede.id)
    return ActivateOut(
        tenant=TenantInfo(
            id=tenant.id,
            name=tenant.name,
            currency=tenant.currency,
            locale=tenant.locale,
            timezone=tenant.timezone,
            **business_info(tenant.settings),
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


def business_info(settings: dict[str, Any] | None) -> dict[str, str]:
    """The legal name, tax id and address a receipt prints, from the tenant's settings."""
    found = (settings or {}).get("legal")
    source = found if isinstance(found, dict) else settings or {}
    return business_details(source)


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
