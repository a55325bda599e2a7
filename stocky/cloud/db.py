"""Database engines and the tenant-scoped transaction every request runs in.

The API connects as the application role, which owns no table and is subject to row-level
security. `tenant_transaction` opens a transaction and sets `app.tenant_id` with
set_config(..., true) (SET LOCAL), so the setting ends with the transaction and can never
leak to the next user of a pooled connection.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
from psycopg.types.json import set_json_loads
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.event import listens_for
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from stocky.cloud.config import Settings

SessionMaker = async_sessionmaker[AsyncSession]


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _decimal(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# orjson writes UUIDs and datetimes in C, exactly as _json_default spells them; only
# Decimals call back into Python. A sync push binds each batch's rows as JSON (~250 rows a
# batch): the stdlib encoder with a Python default per value took 1.5 ms per 50 movement
# rows, orjson 0.08 ms. Whatever orjson refuses (an int past 64 bits, a dataclass) goes
# through the stdlib encoder as before, which accepts it or raises the same TypeError.
_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS


def json_dumps(value: Any) -> str:
    try:
        return orjson.dumps(value, default=_decimal, option=_ORJSON_OPTIONS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, default=_json_default, separators=(",", ":"))


# JSONB numbers are exact decimals in PostgreSQL; never let them become floats here.
json_loads = functools.partial(json.loads, parse_float=Decimal)
set_json_loads(json_loads)


def driver_url(url: str, driver: str = "postgresql+psycopg") -> str:
    return make_url(url).set(drivername=driver).render_as_string(hide_password=False)


def create_app_engine(app_database_url: str, settings: Settings) -> AsyncEngine:
    """The pooled async engine the API and jobs use, as the application role."""
    timeout = settings.idle_in_transaction_timeout_ms
    return create_async_engine(
        driver_url(app_database_url),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
        json_serializer=json_dumps,
        json_deserializer=json_loads,
        connect_args={
            # A transaction left open would hold back every pull (see sync); end it.
            "options": f"-c idle_in_transaction_session_timeout={timeout}",
            "connect_timeout": 5,
        },
    )


def create_owner_engine(database_url: str) -> Engine:
    """A synchronous engine as the schema owner: migrations and admin commands only."""
    return create_engine(
        driver_url(database_url),
        pool_pre_ping=True,
        json_serializer=json_dumps,
        json_deserializer=json_loads,
    )


def make_sessionmaker(engine: AsyncEngine) -> SessionMaker:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def set_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Scope the session's current transaction to one tenant (transaction-local)."""
    await session.execute(
        text("SELECT set_config('app.tenant_id', :tenant_id, true)"),
        {"tenant_id": str(tenant_id)},
    )


@asynccontextmanager
async def tenant_transaction(
    sessionmaker: SessionMaker, tenant_id: uuid.UUID | None
) -> AsyncIterator[AsyncSession]:
    """One transaction, scoped to a tenant, committed on success and rolled back on error.

    With tenant_id None the transaction sees no tenant rows at all (RLS hides them).
    """
    async with sessionmaker() as session, session.begin():
        if tenant_id is not None:
            await set_tenant(session, tenant_id)
        yield session


log = logging.getLogger(__name__)

# After-commit work (realtime nudges, cache invalidation): started as a task the moment the
# request's COMMIT returns, never before it, and dropped by a rollback.
PENDING_KEY = "stocky.after_commit"
# Tasks started by the commit hook: referenced until done so they are not collected mid-run.
_running: set[asyncio.Task[None]] = set()
AfterCommitFn = Callable[..., Coroutine[Any, Any, None]]


def on_commit(session: AsyncSession, fn: AfterCommitFn, *args: Any) -> None:
    """Run `fn(*args)` as a task once `session`'s transaction commits; dropped on rollback."""
    session.info.setdefault(PENDING_KEY, []).append((fn, args))


@listens_for(Session, "after_commit")
def _start_after_commit(session: Session) -> None:
    pending: list[tuple[AfterCommitFn, tuple[Any, ...]]] = session.info.pop(PENDING_KEY, [])
    if not pending:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # a sync session outside the app's loop
        log.warning("%d after-commit task(s) outside an event loop: not run", len(pending))
        return
    for fn, args in pending:
        task = loop.create_task(fn(*args))
        _running.add(task)
        task.add_done_callback(_running.discard)


@listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)
