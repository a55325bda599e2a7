"""Queries for a sale found by its readable receipt number (tenant and sede filtered)."""

from __future__ import annotations

import uuid

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.models import Product, Sale, SalePayment, Transaction


async def sale_by_receipt(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    sede_id: uuid.UUID | None,
    prefix: str,
    number: int,
) -> Sale | None:
    """The sale printed as prefix-number; `sede_id` None means the whole tenant."""
    stmt = select(Sale).where(
        Sale.tenant_id == tenant_id, Sale.receipt_prefix == prefix, Sale.number == number
    )
    if sede_id is not None:
        stmt = stmt.where(Sale.sede_id == sede_id)
    stmt = stmt.order_by(Sale.client_timestamp.desc()).limit(1)
    sale: Sale | None = (await session.execute(stmt)).scalar_one_or_none()
    return sale


async def payments(
    session: AsyncSession, tenant_id: uuid.UUID, sale_id: uuid.UUID
) -> list[SalePayment]:
    stmt = (
        select(SalePayment)
        .where(SalePayment.tenant_id == tenant_id, SalePayment.sale_id == sale_id)
        .order_by(SalePayment.id)
    )
    return list((await session.execute(stmt)).scalars())


async def movements(
    session: AsyncSession, tenant_id: uuid.UUID, sale_id: uuid.UUID
) -> list[tuple[Transaction, str]]:
    """The sale's `sale` and `return` movements with the product's name, oldest first."""
    join = and_(Product.tenant_id == Transaction.tenant_id, Product.id == Transaction.product_id)
    stmt = (
        select(Transaction, Product.name)
        .join(Product, join)
        .where(
            Transaction.tenant_id == tenant_id,
            Transaction.sale_id == sale_id,
            Transaction.type.in_(("sale", "return")),
        )
        .order_by(Transaction.client_timestamp, Transaction.id)
    )
    return [(t, name) for t, name in (await session.execute(stmt)).all()]
