"""Log in and out from the screens with the same local sessions as the local API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nicegui import app

from stocky.edge.auth.session import (
    LocalUser,
    create_session,
    end_session,
    hash_token,
    needs_touch,
    session_user,
    touch_session,
)
from stocky.edge.auth.throttle import check_login
from stocky.edge.outbox import outbox_stats
from stocky.edge.ui.runtime import CajaRuntime


def browser_id() -> str:
    return str(app.storage.browser["id"])


def _idle(runtime: CajaRuntime) -> timedelta:
    return timedelta(hours=runtime.settings.session_idle_hours)


async def log_in(runtime: CajaRuntime, email: str, password: str) -> LocalUser | None:
    """Offline login against the synced argon2 hashes; None on a wrong email or password.

    Throttled like the local API's login (RateLimitedError past the limits)."""
    store = runtime.require_store()
    row = await check_login(store, email, password)  # argon2 on a reader, never the writer
    if row is None:
        return None
    now = datetime.now(UTC)
    token, _ = await store.awrite(
        lambda conn: create_session(conn, row["id"], now=now, idle=_idle(runtime))
    )
    runtime.tokens[browser_id()] = token
    return await current_user(runtime)


async def current_user(runtime: CajaRuntime) -> LocalUser | None:
    """The user logged in at this browser, sliding the inactivity deadline; None if expired."""
    if runtime.store is None:
        return None
    store = runtime.store
    token = runtime.tokens.get(browser_id())
    if token is None:
        return None
    now = datetime.now(UTC)
    user = await store.aread(lambda conn: session_user(conn, token, now=now))
    if user is None:
        runtime.tokens.pop(browser_id(), None)
        return None
    if needs_touch(user, now):
        idle = _idle(runtime)
        await store.awrite(
            lambda conn: touch_session(conn, user.token_hash, now=now, idle=idle), durable=False
        )
    return user


async def pending_ops(runtime: CajaRuntime) -> int:
    stats = await runtime.require_store().aread(outbox_stats)
    return stats.pending


async def log_out(runtime: CajaRuntime) -> None:
    """End the session; queued ops stay, they belong to the caja."""
    token = runtime.tokens.pop(browser_id(), None)
    if token is None or runtime.store is None:
        return
    token_hash = hash_token(token)
    await runtime.store.awrite(lambda conn: end_session(conn, token_hash))
