"""/api/customers: every role searches (the cajas' counter); managers and above edit."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from stocky.cloud.auth.deps import CurrentUser, TenantSession, require_role
from stocky.cloud.auth.tokens import Principal
from stocky.cloud.customers import service
from stocky.cloud.customers.schemas import (
    CustomerCreate,
    CustomerOut,
    CustomerPage,
    CustomerUpdate,
)
from stocky.cloud.kit.pagination import DEFAULT_PAGE, MAX_PAGE
from stocky.core.errors import error_responses

router = APIRouter(prefix="/api/customers", tags=["customers"])
Editor = Annotated[Principal, Depends(require_role("manager"))]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]


@router.get(
    "",
    summary="Search customers by name or tax id (NIT/CC)",
    responses=error_responses(401, 422),
)
async def list_customers(
    user: CurrentUser,
    session: TenantSession,
    q: Annotated[str | None, Query(max_length=200)] = None,
    active: bool | None = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    limit: Limit = DEFAULT_PAGE,
) -> CustomerPage:
    return await service.list_customers(
        session, user, q=q, active=active, cursor=cursor, limit=limit
    )


@router.post(
    "",
    status_code=201,
    summary="Create a customer (manager and above)",
    responses=error_responses(401, 403, 409, 422),
)
async def create_customer(
    user: Editor, session: TenantSession, body: CustomerCreate
) -> CustomerOut:
    return await service.create_customer(session, user, body)


@router.get("/{customer_id}", summary="One customer", responses=error_responses(401, 404))
async def get_customer(
    user: CurrentUser, session: TenantSession, customer_id: uuid.UUID
) -> CustomerOut:
    return await service.get_customer(session, user, customer_id)


@router.patch(
    "/{customer_id}",
    summary="Edit a customer, or deactivate it with active=false (manager and above)",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def update_customer(
    user: Editor,
    session: TenantSession,
    customer_id: uuid.UUID,
    body: CustomerUpdate,
) -> CustomerOut:
    return await service.update_customer(session, user, customer_id, body)
