"""GET/PATCH /api/tenant: the business's own details, as its receipts print them.

The legal name, tax id and address live in the tenant's settings (`legal`), where activation
already reads them (stocky.cloud.activation.service.business_info). A caja learns a change
with its next ping (stocky.cloud.sync.status), not through the feed: the tenant row is not a
synced table, and a receipt only needs the current details, not their history.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.activation.service import business_info
from stocky.cloud.auth.deps import CurrentUser, TenantSession, require_role
from stocky.cloud.auth.tokens import Principal
from stocky.cloud.models import Tenant
from stocky.cloud.tenants.schemas import TenantOut
from stocky.core.errors import NotFoundError
from stocky.core.values import Line

router = APIRouter(prefix="/api/tenant", tags=["tenants"])
Admin = Annotated[Principal, Depends(require_role("admin"))]
LegalText = Annotated[Line, Field(max_length=300)]


class BusinessOut(TenantOut):
    legal_name: str | None = None
    tax_id: str | None = None
    address: str | None = None


class BusinessUpdate(BaseModel):
    """Only the fields sent change; an empty text clears one (the receipt leaves it out)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    legal_name: LegalText | None = None
    tax_id: Annotated[Line, Field(max_length=40)] | None = None
    address: LegalText | None = None


def _out(tenant: Tenant) -> BusinessOut:
    return BusinessOut(
        id=str(tenant.id),
        name=tenant.name,
        slug=tenant.slug,
        currency=tenant.currency,
        locale=tenant.locale,
        timezone=tenant.timezone,
        **business_info(tenant.settings),
    )


async def _tenant(session: AsyncSession, actor: Principal) -> Tenant:
    tenant = await session.scalar(select(Tenant).where(Tenant.id == actor.tenant_id))
    if tenant is None:
        raise NotFoundError("this business no longer exists")
    return tenant


@router.get("", summary="The business: name, currency and the details receipts print")
async def get_business(actor: CurrentUser, session: TenantSession) -> BusinessOut:
    return _out(await _tenant(session, actor))


@router.patch("", summary="Set the legal name, tax id and address receipts print (admin)")
async def update_business(
    body: BusinessUpdate, actor: Admin, session: TenantSession
) -> BusinessOut:
    tenant = await _tenant(session, actor)
    legal: dict[str, Any] = dict(business_info(tenant.settings))
    for key, value in body.model_dump(exclude_unset=True).items():
        if value:
            legal[key] = value
        else:
            legal.pop(key, None)
    # A new dict, so SQLAlchemy sees the JSONB column change (and the audit hook records it).
    tenant.settings = {**(tenant.settings or {}), "legal": legal}
    await session.flush()
    return _out(tenant)
