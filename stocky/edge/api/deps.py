"""FastAPI dependencies of the local API: the store, the settings, the logged-in user."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Header, Request

from stocky.core.errors import ForbiddenError, UnauthorizedError
from stocky.edge.auth.session import (
    LocalUser,
    cloud_token_user,
    needs_touch,
    session_user,
    touch_session,
)
from stocky.edge.auth.tokens import CloudTokenError
from stocky.edge.config import EdgeSettings
from stocky.edge.store import Store

if TYPE_CHECKING:
    from stocky.edge.runtime import CajaRuntime


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_settings(request: Request) -> EdgeSettings:
    settings: EdgeSettings = request.app.state.settings
    return settings


def get_runtime(request: Request) -> CajaRuntime:
    """The caja's process (stocky.edge.runtime), for what a route needs beyond the store.

    A local app built on its own (tests, tools) gets a runtime of just its store, with no
    sync engine, the first time a route asks.
    """
    runtime: CajaRuntime | None = getattr(request.app.state, "runtime", None)
    if runtime is None:
        # Imported here: the runtime composes this app, so a module-level import is a cycle.
        from stocky.edge.runtime import CajaRuntime

        runtime = CajaRuntime.around(get_settings(request), get_store(request))
        request.app.state.runtime = runtime
    return runtime


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[EdgeSettings, Depends(get_settings)]
RuntimeDep = Annotated["CajaRuntime", Depends(get_runtime)]

_CHALLENGE = {"WWW-Authenticate": "Bearer"}

# SQLite's integers are 64-bit: a LIMIT or OFFSET past this overflows inside the query.
SQLITE_MAX_INT = 2**63 - 1


def idle_timeout(settings: EdgeSettings) -> timedelta:
    return timedelta(hours=settings.session_idle_hours)


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise UnauthorizedError("log in first: no session token", headers=_CHALLENGE)
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError("expected 'Authorization: Bearer <token>'", headers=_CHALLENGE)
    return token.strip()


async def current_user(
    store: StoreDep,
    settings: SettingsDep,
    authorization: Annotated[str | None, Header()] = None,
) -> LocalUser:
    token = bearer_token(authorization)
    now = datetime.now(UTC)
    user = await store.aread(lambda conn: session_user(conn, token, now=now))
    if user is None and token.count(".") == 2:  # a JWT, not one of our opaque session tokens
        try:
            return await store.aread(lambda conn: cloud_token_user(conn, token, now=now))
        except CloudTokenError as exc:
            raise UnauthorizedError(f"cloud token refused: {exc}", headers=_CHALLENGE) from exc
    if user is None:
        raise UnauthorizedError(
            "the session expired or is unknown: log in again", headers=_CHALLENGE
        )
    if needs_touch(user, now):
        idle = idle_timeout(settings)
        # A lost touch only shortens the session: no need to pay for a durable commit.
        await store.awrite(
            lambda conn: touch_session(conn, user.token_hash, now=now, idle=idle), durable=False
        )
    return user


CurrentUser = Annotated[LocalUser, Depends(current_user)]


def require_role(role: str) -> Callable[[LocalUser], Awaitable[LocalUser]]:
    """A dependency that lets through users of `role` or above (manager < admin < owner)."""

    async def check(user: CurrentUser) -> LocalUser:
        if not user.at_least(role):
            raise ForbiddenError(f"this needs the {role} role or above")
        return user

    return check


ManagerUser = Annotated[LocalUser, Depends(require_role("manager"))]
