"""POST /api/auth/login, /refresh and /logout, GET /api/auth/jwks, GET /api/me."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status

from stocky.cloud.audit.recorder import clean_address
from stocky.cloud.auth import repository as repo
from stocky.cloud.auth import service
from stocky.cloud.auth.deps import CurrentUser, KeyRingDep, TenantSession
from stocky.cloud.auth.schemas import LoginIn, LogoutIn, MeOut, RefreshIn, TokenOut, UserOut
from stocky.cloud.deps import RedisDep, SessionMakerDep, SettingsDep
from stocky.core.errors import NotFoundError

router = APIRouter(prefix="/api", tags=["auth"])


def token_out(pair: service.TokenPair) -> TokenOut:
    return TokenOut(
        access_token=pair.access_token,
        expires_at=pair.access_expires_at,
        refresh_token=pair.refresh_token,
        refresh_expires_at=pair.refresh_expires_at,
        user=UserOut.model_validate(pair.user),
    )


@router.post("/auth/login", summary="Email and password in, access and refresh tokens out")
async def login(
    body: LoginIn,
    request: Request,
    sessionmaker: SessionMakerDep,
    redis: RedisDep,
    keys: KeyRingDep,
    settings: SettingsDep,
) -> TokenOut:
    pair = await service.login(
        sessionmaker,
        redis,
        keys,
        settings,
        email=body.email,
        password=body.password,
        tenant_slug=body.tenant,
        client_address=clean_address(request.client.host if request.client else None),
    )
    return token_out(pair)


@router.post("/auth/refresh", summary="Rotate a refresh token")
async def refresh(
    body: RefreshIn, sessionmaker: SessionMakerDep, keys: KeyRingDep, settings: SettingsDep
) -> TokenOut:
    return token_out(await service.refresh(sessionmaker, keys, settings, body.refresh_token))


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="End the session of a refresh token (204 whether or not the token was valid)",
)
async def logout(body: LogoutIn, request: Request, sessionmaker: SessionMakerDep) -> None:
    # No bearer needed: a client whose access token expired can still sign out.
    address = clean_address(request.client.host if request.client else None)
    await service.logout(sessionmaker, body.refresh_token, address)


@router.get("/auth/jwks", summary="Public keys that verify access tokens (cajas verify offline)")
async def jwks(keys: KeyRingDep) -> dict[str, Any]:
    return keys.jwks()


@router.get("/me", summary="The signed-in user and their tenant")
async def me(user: CurrentUser, session: TenantSession) -> MeOut:
    assert user.user_id is not None
    row = await repo.get_user_in_tenant(session, user.tenant_id, user.user_id)
    tenant = await repo.get_tenant(session, user.tenant_id)
    if row is None or tenant is None:
        raise NotFoundError("This user no longer exists.")
    return MeOut(
        user=UserOut.model_validate(row),
        tenant={
            "id": str(tenant.id),
            "name": tenant.name,
            "slug": tenant.slug,
            "currency": tenant.currency,
            "locale": tenant.locale,
            "timezone": tenant.timezone,
        },
    )
