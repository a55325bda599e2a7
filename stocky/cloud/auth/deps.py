"""Who is calling, and the tenant-scoped transaction that request runs in.

`TenantSession` is the request's one transaction: opened scoped to the caller's tenant
(RLS), committed when the endpoint returns, before the response is sent, and rolled back
if it raises. Services never commit. `CurrentUser` is read from the user's row inside it,
so role checks use the role the user has now, not the one its token was issued with.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.audit.recorder import AuditContext, attach, clean_address
from stocky.cloud.auth.keys import KeyRing
from stocky.cloud.auth.repository import user_standing
from stocky.cloud.auth.service import authenticate_device_in, device_credential_ids
from stocky.cloud.auth.tokens import InvalidTokenError, Principal, verify_access_token
from stocky.cloud.db import set_tenant
from stocky.cloud.deps import SessionMakerDep
from stocky.core.errors import ForbiddenError, UnauthorizedError

bearer = HTTPBearer(auto_error=False)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def get_key_ring(request: Request) -> KeyRing:
    keys: KeyRing = request.app.state.keys
    return keys


KeyRingDep = Annotated[KeyRing, Depends(get_key_ring)]


def get_token(credentials: BearerDep, keys: KeyRingDep) -> Principal:
    """The caller as its access token says: signature and expiry checked, nothing more."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise UnauthorizedError(
            "Sign in first: this needs a bearer access token.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        return verify_access_token(keys, credentials.credentials)
    except InvalidTokenError as exc:
        raise UnauthorizedError(
            f"The access token was refused ({exc}).",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from exc


TokenDep = Annotated[Principal, Depends(get_token)]


async def get_tenant_session(
    request: Request, sessionmaker: SessionMakerDep, token: TokenDep
) -> AsyncIterator[AsyncSession]:
    """The request's transaction, and in it who the caller is now.

    A token's role and sede are what they were when it was issued; the user row says what
    they are now. So the row is read first thing (one primary-key lookup, in the same
    transaction): a disabled or deleted user is refused, and a demoted or moved one acts
    with its current role and sede, not for the rest of the token's 15 minutes.
    """
    async with sessionmaker() as session, session.begin():
        await set_tenant(session, token.tenant_id)
        principal = await _as_user_is_now(session, token)
        request.state.principal = principal
        attach(session, request_audit_context(request, principal))
        yield session


async def _as_user_is_now(session: AsyncSession, token: Principal) -> Principal:
    assert token.user_id is not None  # verify_access_token requires sub
    standing = await user_standing(session, token.tenant_id, token.user_id)
    if standing is None or not standing.active:
        raise UnauthorizedError(
            "This user is disabled or no longer exists; sign in again.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    if standing.role == token.role and standing.sede_id == token.sede_id:
        return token
    return replace(token, role=standing.role, sede_id=standing.sede_id)


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


def get_current_user(_session: TenantSession, request: Request) -> Principal:
    """The signed-in user as its row is now (read in the request's transaction)."""
    principal: Principal = request.state.principal
    return principal


CurrentUser = Annotated[Principal, Depends(get_current_user)]


def require_role(minimum: str) -> Callable[[Principal], Principal]:
    """A dependency that lets through users whose current role ranks at least `minimum`."""

    def check(user: CurrentUser) -> Principal:
        if not user.at_least(minimum):
            raise ForbiddenError(f"This action needs the {minimum} role or higher.")
        return user

    return check


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


async def get_caller_tenant_session(
    credentials: BearerDep, request: Request, sessionmaker: SessionMakerDep, keys: KeyRingDep
) -> AsyncIterator[AsyncSession]:
    """The request's transaction for a caja's device credential or a user's access token
    (a route both the cajas and the admin call), scoped to the caller's tenant."""
    credential = _device_credential(credentials)
    token = None if device_credential_ids(credential) else get_token(credentials, keys)
    async with sessionmaker() as session, session.begin():
        if token is None:
            principal = await authenticate_device_in(session, credential)
        else:
            await set_tenant(session, token.tenant_id)
            principal = await _as_user_is_now(session, token)
        request.state.principal = principal
        attach(session, request_audit_context(request, principal))
        yield session


CallerTenantSession = Annotated[AsyncSession, Depends(get_caller_tenant_session, scope="function")]


async def get_current_caller(_session: CallerTenantSession, request: Request) -> Principal:
    """A caja or a user, as `get_caller_tenant_session` found it."""
    principal: Principal = request.state.principal
    return principal


CurrentCaller = Annotated[Principal, Depends(get_current_caller)]
