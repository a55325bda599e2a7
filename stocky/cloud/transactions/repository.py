"""Queries on movements, newest first by server time (the order the cloud received them)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.kit.sql import where_given
from stocky.cloud.models import Product, Transaction


@dataclass(frozen=True)
class MovementFilter:
    sede_id: uuid.UUID | None
    type: str | None
    product_id: uuid.UUID | None
    since: datetime | None
    until: datetime | None


async def list_movements(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    where: MovementFilter,
    *,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[tuple[Transaction, str, str]]:
    """A page of (movement, sku, product name); keyset on (server_timestamp, id) desc."""
    join = and_(Product.tenant_id == Transaction.tenant_id, Product.id == Transaction.product_id)
    stmt = (
        select(Transaction, Product.sku, Product.name)
        .join(Product, join)
        .where(Transaction.tenant_id == tenant_id)
    )
    stmt = where_given(
        stmt,
        (Transaction.sede_id, where.sede_id),
        (Transaction.type, where.type),
        (Transaction.product_id, where.product_id),
    )
    if where.since is not None:
        stmt = stmt.where(Transaction.server_timestamp >= where.since)
    if where.until is not None:
        stmt = stmt.where(Transaction.server_timestamp < where.until)
    if before is not None:
        stmt = stmt.where(tuple_(Transaction.server_timestamp, Transaction.id) < tuple_(*before))
    stmt = stmt.order_by(Transaction.server_timestamp.desc(), Transaction.id.desc()).limit(limit)
    return [(t, sku, name) for t, sku, name in (await session.execute(stmt)).all()]
