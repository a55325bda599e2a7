"""Queries for activation codes, devices and the snapshot a new caja starts from."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.models import ActivationCode, Device, Inventory, Product, ProductBarcode, User


@dataclass(frozen=True)
class CodeMatch:
    tenant_id: uuid.UUID
    code_id: uuid.UUID
    sede_id: uuid.UUID


async def find_code(session: AsyncSession, code_hash: str) -> CodeMatch | None:
    """The code with this hash in any tenant (SECURITY DEFINER: the tenant is unknown yet)."""
    row = (
        await session.execute(
            text("SELECT tenant_id, code_id, sede_id FROM stocky_find_activation_code(:h)"),
            {"h": code_hash},
        )
    ).first()
    return CodeMatch(row.tenant_id, row.code_id, row.sede_id) if row else None


async def lock_code(
    session: AsyncSession, tenant_id: uuid.UUID, code_id: uuid.UUID
) -> ActivationCode | None:
    query = select(ActivationCode).where(
        ActivationCode.tenant_id == tenant_id, ActivationCode.id == code_id
    )
    return (await session.execute(query.with_for_update())).scalar_one_or_none()


async def pending_codes(
    session: AsyncSession, tenant_id: uuid.UUID, sede_id: uuid.UUID, now: datetime
) -> list[ActivationCode]:
    """The sede's codes that are neither used nor expired, newest first."""
    query = select(ActivationCode).where(
        ActivationCode.tenant_id == tenant_id,
        ActivationCode.sede_id == sede_id,
        ActivationCode.used_at.is_(None),
        ActivationCode.expires_at > now,
    )
    return list((await session.execute(query.order_by(ActivationCode.id.desc()))).scalars())


async def list_devices(
    session: AsyncSession, tenant_id: uuid.UUID, sede_id: uuid.UUID | None
) -> list[Device]:
    query = select(Device).where(Device.tenant_id == tenant_id)
    if sede_id is not None:
        query = query.where(Device.sede_id == sede_id)
    return list((await session.execute(query.order_by(Device.activated_at))).scalars())


async def get_device(
    session: AsyncSession, tenant_id: uuid.UUID, device_id: uuid.UUID
) -> Device | None:
    query = select(Device).where(Device.tenant_id == tenant_id, Device.id == device_id)
    return (await session.execute(query.with_for_update())).scalar_one_or_none()


async def sede_users(session: AsyncSession, tenant_id: uuid.UUID, sede_id: uuid.UUID) -> list[User]:
    """The users who may log in at a caja of this sede: tenant-wide (no sede) or of this
    sede. Only these reach its cajas, with their password hashes (see may_log_in_at)."""
    query = select(User).where(
        User.tenant_id == tenant_id, or_(User.sede_id.is_(None), User.sede_id == sede_id)
    )
    return list((await session.execute(query.order_by(User.id))).scalars())


async def products(session: AsyncSession, tenant_id: uuid.UUID) -> list[Product]:
    query = select(Product).where(Product.tenant_id == tenant_id).order_by(Product.id)
    return list((await session.execute(query)).scalars())


async def barcodes(session: AsyncSession, tenant_id: uuid.UUID) -> list[ProductBarcode]:
    query = select(ProductBarcode).where(ProductBarcode.tenant_id == tenant_id)
    return list((await session.execute(query.order_by(ProductBarcode.barcode))).scalars())


async def inventory(
    session: AsyncSession, tenant_id: uuid.UUID, sede_id: uuid.UUID
) -> list[Inventory]:
    query = select(Inventory).where(Inventory.tenant_id == tenant_id, Inventory.sede_id == sede_id)
    return list((await session.execute(query.order_by(Inventory.product_id))).scalars())
