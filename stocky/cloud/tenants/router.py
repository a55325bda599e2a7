"""POST /api/signup: a new business and its owner, signed in."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from pydantic import BaseModel

from stocky.cloud.audit.recorder import AuditContext, attach, clean_address
from stocky.cloud.auth.deps import KeyRingDep
from stocky.cloud.auth.router import token_out
from stocky.cloud.auth.schemas import TokenOut
from stocky.cloud.auth.service import issue_tokens
from stocky.cloud.db import tenant_transaction
from stocky.cloud.deps import SessionMakerDep, SettingsDep
from stocky.cloud.tenants.schemas import TenantOut, TenantSignup
from stocky.cloud.tenants.service import create_tenant

router = APIRouter(prefix="/api", tags=["tenants"])


class SignupOut(BaseModel):
    tenant: TenantOut
    tokens: TokenOut


@router.post("/signup", status_code=status.HTTP_201_CREATED, summary="Create a business")
async def signup(
    body: TenantSignup,
    request: Request,
    sessionmaker: SessionMakerDep,
    keys: KeyRingDep,
    settings: SettingsDep,
) -> SignupOut:
    path = request.url.path
    async with tenant_transaction(sessionmaker, None) as session:
        address = clean_address(request.client.host if request.client else None)
        attach(session, AuditContext(None, client_address=address, method="POST", path=path))
        created = await create_tenant(
            session,
            name=body.tenant_name,
            owner_email=body.email,
            owner_password=body.password,
            owner_name=body.owner_name,
            currency=body.currency,
            locale=body.locale,
            timezone=body.timezone,
        )
        await session.refresh(created.owner)
        pair = await issue_tokens(session, keys, settings, created.owner)
        tenant = created.tenant
        out = SignupOut(
            tenant=TenantOut(
                id=str(tenant.id),
                name=tenant.name,
                slug=tenant.slug,
                currency=tenant.currency,
                locale=tenant.locale,
                timezone=tenant.timezone,
            ),
            tokens=token_out(pair),
        )
    return out
