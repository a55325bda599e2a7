"""Customer rules: a tax id (NIT/CC) names one customer per tenant; never deleted.

Services take the request's session and never commit. Writes go through the ORM, so the
audit hook records them, and through the `customers` feed trigger, so every caja pulls them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.auth.tokens import Principal
from stocky.cloud.customers import repository as repo
from stocky.cloud.customers.schemas import (
    CustomerCreate,
    CustomerOut,
    CustomerPage,
    CustomerUpdate,
)
from stocky.cloud.kit.pagination import decode_name_cursor, encode_cursor
from stocky.cloud.models import Customer
from stocky.core.errors import ConflictError, NotFoundError
from stocky.core.ids import new_id

UNIQUE_TAX_ID = "uq_customers_tenant_id_tax_id"


def customer_out(customer: Customer) -> CustomerOut:
    return CustomerOut.model_validate(customer, from_attributes=True)


def _duplicate(tax_id: str) -> ConflictError:
    return ConflictError(f"tax_id: {tax_id!r} already belongs to another customer", field="tax_id")


async def _check_tax_id(
    session: AsyncSession, tenant_id: uuid.UUID, tax_id: str | None, customer_id: uuid.UUID | None
) -> None:
    if tax_id is None:
        return
    owner = await repo.tax_id_owner(session, tenant_id, tax_id)
    if owner is not None and owner != customer_id:
        raise _duplicate(tax_id)


@asynccontextmanager
async def _unique_tax_id(tax_id: str | None) -> AsyncIterator[None]:
    """A concurrent create with the same tax id (past the check) is a 409 too."""
    try:
        yield
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
        if constraint != UNIQUE_TAX_ID or tax_id is None:
            raise
        raise _duplicate(tax_id) from exc


async def list_customers(
    session: AsyncSession,
    user: Principal,
    *,
    q: str | None,
    active: bool | None,
    cursor: str | None,
    limit: int,
) -> CustomerPage:
    """Search by name or tax id, a page at a time (opaque cursor)."""
    rows = await repo.list_customers(
        session,
        user.tenant_id,
        q=q.strip() if q else None,
        active=active,
        after=decode_name_cursor(cursor),
        limit=limit + 1,
    )
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1].name, str(page[-1].id)) if len(rows) > limit else None
    return CustomerPage(items=[customer_out(c) for c in page], next_cursor=next_cursor)


async def get_customer(
    session: AsyncSession, user: Principal, customer_id: uuid.UUID
) -> CustomerOut:
    customer = await repo.get_customer(session, user.tenant_id, customer_id)
    if customer is None:
        raise NotFoundError("No such customer.")
    return customer_out(customer)


async def create_customer(
    session: AsyncSession, user: Principal, data: CustomerCreate
) -> CustomerOut:
    """A new customer; a tax id another customer of the tenant has is a 409 on tax_id."""
    await _check_tax_id(session, user.tenant_id, data.tax_id, None)
    customer = Customer(
        **data.model_dump(), tenant_id=user.tenant_id, id=new_id(), last_modified_by=user.user_id
    )
    async with _unique_tax_id(data.tax_id):
        customer = await repo.add(session, customer)
    return customer_out(customer)


async def update_customer(
    session: AsyncSession, user: Principal, customer_id: uuid.UUID, data: CustomerUpdate
) -> CustomerOut:
    """Apply the fields sent; the version goes up by one (the cajas take the new row)."""
    customer = await repo.get_customer(session, user.tenant_id, customer_id)
    if customer is None:
        raise NotFoundError("No such customer.")
    changes = data.changes()
    await _check_tax_id(session, user.tenant_id, changes.get("tax_id"), customer_id)
    for key, value in changes.items():
        setattr(customer, key, value)
    customer.version += 1
    customer.last_modified_by = user.user_id
    customer.updated_at = datetime.now(UTC)
    async with _unique_tax_id(changes.get("tax_id")):
        await session.flush()
    await session.refresh(customer)
    return customer_out(customer)
