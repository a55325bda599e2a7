"""The dashboard's queries: a few aggregates, each one statement, tenant always in the WHERE
(RLS and the indexes agree), a sede filter when the caller is held to one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, bindparam, distinct, exists, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.models import Device, Inventory, Product, Refund, Sale, Sede, Tenant, Transfer


@dataclass(frozen=True)
class SedeRow:
    id: uuid.UUID
    name: str
    active: bool
    online: bool
    last_ping_at: datetime | None
    last_sync_at: datetime | None


@dataclass(frozen=True)
class Takings:
    total: Decimal
    count: int


async def tenant_money_and_zone(session: AsyncSession, tenant_id: uuid.UUID) -> tuple[str, str]:
    stmt = select(Tenant.currency, Tenant.timezone).where(Tenant.id == tenant_id)
    currency, zone = (await session.execute(stmt)).one()
    return currency, zone


async def sedes(
    session: AsyncSession, tenant_id: uuid.UUID, sede_id: uuid.UUID | None
) -> list[SedeRow]:
    stmt = select(
        Sede.id, Sede.name, Sede.active, Sede.is_online, Sede.last_ping_at, Sede.last_sync_at
    ).where(Sede.tenant_id == tenant_id)
    if sede_id is not None:
        stmt = stmt.where(Sede.id == sede_id)
    return [SedeRow(*row) for row in (await session.execute(stmt.order_by(Sede.name, Sede.id)))]


async def sales_by_day(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    midnights: list[datetime],
    sede_id: uuid.UUID | None,
) -> dict[tuple[int, uuid.UUID], Takings]:
    """Completed sales by the caja's corrected time, summed per day and sede: day i (from 0)
    runs from midnights[i] to midnights[i + 1].

    The days' bounds come from the caller (the tenant's zone, DST included), so the SQL
    buckets by a binary search in them rather than converting each sale's time (half the
    cost), and Python and PostgreSQL cannot disagree on a zone's rules. A range on
    (tenant_id, client_timestamp), index-only (migration 0018)."""
    bounds = bindparam("midnights", midnights, type_=ARRAY(DateTime(timezone=True)))
    day = func.width_bucket(Sale.client_timestamp, bounds)
    stmt = (
        select(day, Sale.sede_id, func.sum(Sale.total), func.count())
        .where(
            Sale.tenant_id == tenant_id,
            Sale.client_timestamp >= midnights[0],
            Sale.client_timestamp < midnights[-1],
            # A void at the counter never becomes a sale (it is audit only, sale.void), but
            # the column allows it: such a row is no takings.
            Sale.status == "completed",
        )
        .group_by(day, Sale.sede_id)
    )
    if sede_id is not None:
        stmt = stmt.where(Sale.sede_id == sede_id)
    return {(b - 1, s): Takings(total, n) for b, s, total, n in await session.execute(stmt)}


async def refunds_by_sede(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    since: datetime,
    until: datetime,
    sede_id: uuid.UUID | None,
) -> dict[uuid.UUID, Takings]:
    """Money returns gave back in [since, until), per sede; count is of returns."""
    stmt = (
        select(Refund.sede_id, func.sum(Refund.amount), func.count(distinct(Refund.return_id)))
        .where(
            Refund.tenant_id == tenant_id,
            Refund.client_timestamp >= since,
            Refund.client_timestamp < until,
        )
        .group_by(Refund.sede_id)
    )
    if sede_id is not None:
        stmt = stmt.where(Refund.sede_id == sede_id)
    return {s: Takings(total, n) for s, total, n in await session.execute(stmt)}


async def cajas_by_sede(
    session: AsyncSession, tenant_id: uuid.UUID, sede_id: uuid.UUID | None
) -> dict[uuid.UUID, tuple[int, int | None, int | None]]:
    """Per sede: its active cajas, the largest absolute clock offset they reported and the
    ops they reported still to push (null: no caja of it reported)."""
    stmt = (
        select(
            Device.sede_id,
            func.count(),
            func.max(func.abs(Device.clock_offset_ms)),
            func.sum(Device.pending_ops),
        )
        .where(Device.tenant_id == tenant_id, Device.status == "active")
        .group_by(Device.sede_id)
    )
    if sede_id is not None:
        stmt = stmt.where(Device.sede_id == sede_id)
    return {
        s: (n, offset, None if pending is None else int(pending))
        for s, n, offset, pending in await session.execute(stmt)
    }


async def clock_offsets_by_sede(
    session: AsyncSession, tenant_id: uuid.UUID, sede_id: uuid.UUID | None
) -> dict[uuid.UUID, list[int | None]]:
    """Per sede: the clock offsets its active cajas reported (signed; None: never measured),
    for stocky.core.clock to judge."""
    stmt = select(Device.sede_id, Device.clock_offset_ms).where(
        Device.tenant_id == tenant_id, Device.status == "active"
    )
    if sede_id is not None:
        stmt = stmt.where(Device.sede_id == sede_id)
    offsets: dict[uuid.UUID, list[int | None]] = {}
    for s, offset in await session.execute(stmt):
        offsets.setdefault(s, []).append(offset)
    return offsets


async def open_transfers(
    session: AsyncSession, tenant_id: uuid.UUID, sede_id: uuid.UUID | None
) -> int:
    """Transfers still waiting for a decision or for their job, touching the sede if given."""
    stmt = select(func.count()).where(
        Transfer.tenant_id == tenant_id, Transfer.status.in_(("pending", "processing"))
    )
    if sede_id is not None:
        stmt = stmt.where(or_(Transfer.from_sede_id == sede_id, Transfer.to_sede_id == sede_id))
    return int((await session.execute(stmt)).scalar_one())


async def stock_alerts(
    session: AsyncSession, tenant_id: uuid.UUID, sede_id: uuid.UUID | None
) -> tuple[int, int]:
    """(low, negative) cells of the consolidated matrix: its products (active, or inactive
    but stocked) and its rules (low: a minimum is set and the stock is at or below it).

    Driven by the stock rows: only a low row at zero needs its product (is it active?), so
    the catalog is not joined whole."""
    low = (Inventory.min_stock > 0) & (Inventory.quantity <= Inventory.min_stock)
    active = (
        exists()
        .where(
            Product.tenant_id == Inventory.tenant_id,
            Product.id == Inventory.product_id,
            Product.active,
        )
        .correlate(Inventory)
    )
    stmt = select(
        func.count().filter(low),
        func.count().filter(Inventory.quantity < 0),
    ).where(
        Inventory.tenant_id == tenant_id,
        low | (Inventory.quantity < 0),
        or_(Inventory.quantity != 0, active),
    )
    if sede_id is not None:
        stmt = stmt.where(Inventory.sede_id == sede_id)
    low_n, negative_n = (await session.execute(stmt)).one()
    return low_n, negative_n
