"""Queries for the sales list and one sale's detail: newest first by the caja's corrected
time, keyset on (client_timestamp, id); tenant always in the WHERE so RLS and the indexes
(tenant_id, client_timestamp, id) and (tenant_id, sede_id, client_timestamp) agree."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, and_, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.kit.sql import where_given
from stocky.cloud.models import Device, Product, Refund, Sale, SalePayment, Sede, Transaction, User

# Sale with its sede's, caja's and cashier's names (outer joins: any may be NULL).
SalesSelect = Select[Sale, str, str, str]


@dataclass(frozen=True)
class SaleFilter:
    sede_id: uuid.UUID | None
    device_id: uuid.UUID | None
    user_id: uuid.UUID | None
    shift_id: uuid.UUID | None
    since: datetime | None
    until: datetime | None
    receipt: tuple[str, int] | None
    min_total: Decimal | None
    max_total: Decimal | None


@dataclass(frozen=True)
class SaleRow:
    sale: Sale
    sede_name: str | None
    device_name: str | None
    user_name: str | None


def _with_names(
    tenant_id: uuid.UUID,
) -> SalesSelect:
    return (
        select(Sale, Sede.name, Device.name, User.name)
        .outerjoin(Sede, and_(Sede.tenant_id == Sale.tenant_id, Sede.id == Sale.sede_id))
        .outerjoin(Device, and_(Device.tenant_id == Sale.tenant_id, Device.id == Sale.device_id))
        .outerjoin(User, and_(User.tenant_id == Sale.tenant_id, User.id == Sale.user_id))
        .where(Sale.tenant_id == tenant_id)
    )


def sales_query(
    tenant_id: uuid.UUID,
    where: SaleFilter,
    *,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> SalesSelect:
    """The page's statement (apart so its plan can be EXPLAINed as the API runs it)."""
    stmt = where_given(
        _with_names(tenant_id),
        (Sale.sede_id, where.sede_id),
        (Sale.device_id, where.device_id),
        (Sale.user_id, where.user_id),
        (Sale.shift_id, where.shift_id),
    )
    if where.since is not None:
        stmt = stmt.where(Sale.client_timestamp >= where.since)
    if where.until is not None:
        stmt = stmt.where(Sale.client_timestamp < where.until)
    if where.receipt is not None:
        prefix, number = where.receipt
        stmt = stmt.where(Sale.receipt_prefix == prefix, Sale.number == number)
    if where.min_total is not None:
        stmt = stmt.where(Sale.total >= where.min_total)
    if where.max_total is not None:
        stmt = stmt.where(Sale.total <= where.max_total)
    if before is not None:
        stmt = stmt.where(tuple_(Sale.client_timestamp, Sale.id) < tuple_(*before))
    return stmt.order_by(Sale.client_timestamp.desc(), Sale.id.desc()).limit(limit)


async def list_sales(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    where: SaleFilter,
    *,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[SaleRow]:
    stmt = sales_query(tenant_id, where, before=before, limit=limit)
    return [SaleRow(s, sede, caja, user) for s, sede, caja, user in await session.execute(stmt)]


async def sale_row(
    session: AsyncSession, tenant_id: uuid.UUID, sale_id: uuid.UUID
) -> SaleRow | None:
    row = (await session.execute(_with_names(tenant_id).where(Sale.id == sale_id))).first()
    if row is None:
        return None
    sale, sede, caja, user = row
    return SaleRow(sale, sede, caja, user)


async def payments_by_sale(
    session: AsyncSession, tenant_id: uuid.UUID, sale_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[str, Decimal]]]:
    """(method, amount summed) of each sale, methods in name order."""
    stmt = (
        select(SalePayment.sale_id, SalePayment.method, func.sum(SalePayment.amount))
        .where(SalePayment.tenant_id == tenant_id, SalePayment.sale_id.in_(sale_ids))
        .group_by(SalePayment.sale_id, SalePayment.method)
        .order_by(SalePayment.sale_id, SalePayment.method)
    )
    found: defaultdict[uuid.UUID, list[tuple[str, Decimal]]] = defaultdict(list)
    for sale_id, method, amount in (await session.execute(stmt)).all():
        found[sale_id].append((method, amount))
    return found


async def refunds_by_sale(
    session: AsyncSession, tenant_id: uuid.UUID, sale_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[Refund]]:
    stmt = (
        select(Refund)
        .where(Refund.tenant_id == tenant_id, Refund.sale_id.in_(sale_ids))
        .order_by(Refund.client_timestamp, Refund.return_id, Refund.method)
    )
    found: defaultdict[uuid.UUID, list[Refund]] = defaultdict(list)
    for refund in (await session.execute(stmt)).scalars():
        found[refund.sale_id].append(refund)
    return found


async def movements(
    session: AsyncSession, tenant_id: uuid.UUID, sale_id: uuid.UUID
) -> list[tuple[Transaction, str, str]]:
    """The sale's `sale` and `return` movements with the product's sku and name."""
    join = and_(Product.tenant_id == Transaction.tenant_id, Product.id == Transaction.product_id)
    stmt = (
        select(Transaction, Product.sku, Product.name)
        .join(Product, join)
        .where(
            Transaction.tenant_id == tenant_id,
            Transaction.sale_id == sale_id,
            Transaction.type.in_(("sale", "return")),
        )
        .order_by(Transaction.client_timestamp, Transaction.id)
    )
    return [(t, sku, name) for t, sku, name in (await session.execute(stmt)).all()]
