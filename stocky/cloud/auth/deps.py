"""Who is calling, and the tenant-scoped transaction that request runs in.

`TenantSession` is the request's one transaction: opened scoped to the caller's tenant
(RLS), committed when the endpoint returns, before the response is sent, and rolled back
if it raises. Services never commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.audit.recorder import AuditContext, attach, clean_address
from stocky.cloud.auth.keys import KeyRing
from stocky.cloud.auth.service import authenticate_device_in
from stocky.cloud.auth.tokens import InvalidTokenError, Principal, verify_access_token
from stocky.cloud.db import set_tenant
from stocky.cloud.deps import SessionMakerDep
from stocky.cloud.errors import ForbiddenError, UnauthorizedError

bearer = HTTPBearer(auto_error=False)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def get_key_ring(request: Request) -> KeyRing:
    keys: KeyRing = request.app.state.keys
    return keys


KeyRingDep = Annotated[KeyRing, Depends(get_key_ring)]


def get_current_user(credentials: BearerDep, keys: KeyRingDep, request: Request) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise UnauthorizedError(
            "Sign in first: this needs a bearer access token.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        principal = verify_access_token(keys, credentials.credentials)
    except InvalidTokenError as exc:
        raise UnauthorizedError(
            f"The access token was refused ({exc}).",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from exc
    request.state.principal = principal
    return principal


CurrentUser = Annotated[Principal, Depends(get_current_user)]


def require_role(minimum: str) -> Callable[[Principal], Principal]:
    """A dependency that lets through users whose role ranks at least `minimum`."""

    def check(user: CurrentUser) -> Principal:
        if not user.at_least(minimum):
            raise ForbiddenError(f"This action needs the {minimum} role or higher.")
        return user

    return check


async def get_tenant_session(
    request: Request, sessionmaker: SessionMakerDep
) -> AsyncIterator[AsyncSession]:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        raise UnauthorizedError("Sign in first.")
    async with sessionmaker() as session, session.begin():
        await set_tenant(session, principal.tenant_id)
        attach(session, request_audit_context(request, principal))
        yield session


def request_audit_context(request: Request, principal: Principal | None) -> AuditContext:
    """Who and where, for the audit rows this request's flushes write."""
    return AuditContext(
        tenant_id=principal.tenant_id if principal else None,
        user_id=principal.user_id if principal else None,
        device_id=principal.device_id if principal else None,
        client_address=clean_address(request.client.host if request.client else None),
        method=request.method,
        path=request.url.path,
    )


# scope="function": the transaction commits before the response is sent, so a client
# never sees success for a write that then fails to commit.
TenantSession = Annotated[AsyncSession, Depends(get_tenant_session, scope="function")]


def _device_credential(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise UnauthorizedError(
            "This needs the caja's device credential as a bearer token.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return credentials.credentials


async def get_device_tenant_session(
    credentials: BearerDep, request: Request, sessionmaker: SessionMakerDep
) -> AsyncIterator[AsyncSession]:
    """The request's one transaction for a caja (sync, LAN), scoped to its tenant.

    The device credential is checked inside it: one pooled connection and one transaction
    per request, not a second one just for the lookup (a push drain sends thousands).
    """
    credential = _device_credential(credentials)
    async with sessionmaker() as session, session.begin():
        principal = await authenticate_device_in(session, credential)
        request.state.principal = principal
        attach(session, request_audit_context(request, principal))
        yield session


DeviceTenantSession = Annotated[AsyncSession, Depends(get_device_tenant_session, scope="function")]


async def get_current_device(_session: DeviceTenantSession, request: Request) -> Principal:
    """A caja, authenticated by the credential its activation returned (in the request's
    transaction, by `get_device_tenant_session`)."""
    principal: Principal = request.state.principal
    return principal


CurrentDevice = Annotated[Principal, Depends(get_current_device)]
