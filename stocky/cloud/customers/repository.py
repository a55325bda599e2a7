"""Every query on customers."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.models import Customer


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def get_customer(
    session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID
) -> Customer | None:
    return (
        await session.execute(
            select(Customer).where(Customer.tenant_id == tenant_id, Customer.id == customer_id)
        )
    ).scalar_one_or_none()


async def tax_id_owner(
    session: AsyncSession, tenant_id: uuid.UUID, tax_id: str
) -> uuid.UUID | None:
    return (
        await session.execute(
            select(Customer.id).where(Customer.tenant_id == tenant_id, Customer.tax_id == tax_id)
        )
    ).scalar_one_or_none()


async def list_customers(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    q: str | None,
    active: bool | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> list[Customer]:
    """A page by (name, id); `q` matches inside the name or the tax id (wildcards literal)."""
    stmt = select(Customer).where(Customer.tenant_id == tenant_id)
    if q:
        pattern = f"%{_escape_like(q)}%"
        stmt = stmt.where(or_(Customer.name.ilike(pattern), Customer.tax_id.ilike(pattern)))
    if active is not None:
        stmt = stmt.where(Customer.active == active)
    if after is not None:
        stmt = stmt.where(tuple_(Customer.name, Customer.id) > tuple_(*after))
    stmt = stmt.order_by(Customer.name, Customer.id).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def add(session: AsyncSession, customer: Customer) -> Customer:
    session.add(customer)
    await session.flush()
    await session.refresh(customer)
    return customer
