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
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
from psycopg.types.json import set_json_loads
from sqlalchemy import Select, create_engine, func, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.event import listens_for
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql.elements import TextClause

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


def make_sessionmaker(engine: AsyncEngine, on_feed: FeedListener | None = None) -> SessionMaker:
    """Sessions on `engine`; with `on_feed`, each commit that adds to the change feed calls it.

    The app passes its change notices (realtime nudge, stock cache), so every transaction of
    the API announces what it changed; jobs, the CLI and tests may pass nothing.
    """
    info: dict[str, Any] = {} if on_feed is None else {FEED_LISTENER_KEY: on_feed}
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False, info=info)


async def set_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Scope the session's current transaction to one tenant (transaction-local)."""
    # A select(), not text(): it reads as a read (see _note_writes), though it sets a GUC.
    await session.execute(select(func.set_config("app.tenant_id", str(tenant_id), True)))


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


def on_commit(session: AsyncSession | Session, fn: AfterCommitFn, *args: Any) -> None:
    """Run `fn(*args)` as a task once `session`'s transaction commits; dropped on rollback."""
    session.info.setdefault(PENDING_KEY, []).append((fn, args))


@listens_for(Session, "after_commit")
def _start_after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the transaction goes on
        return
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
    if session.in_nested_transaction():  # a savepoint rolled back: the transaction goes on
        return
    session.info.pop(PENDING_KEY, None)
    session.info.pop(_MAY_HAVE_WRITTEN, None)


# Change notices are a property of the transaction, not of the route that ran it. The feed
# (`changes`) is written by triggers on every synced table, so whatever wrote the rows (an
# ORM flush, a bulk statement, a sync push's JSON row set) the transaction's own feed rows
# say which sedes must pull: just before COMMIT, one indexed read of the rows carrying this
# transaction's xid. A sede-scoped row names its sede; a tenant-wide one (catalog, users,
# customers, sedes) has sede_id NULL and concerns every sede. The listener is scheduled with
# on_commit: it runs once per transaction, after the COMMIT returns, and never on rollback.
FEED_LISTENER_KEY = "stocky.feed_listener"
# Set by any flush or any statement that is not a plain SELECT: a transaction that only
# read cannot have written feed rows, so it commits without the extra read. (No function
# that a SELECT calls writes a synced table.)
_MAY_HAVE_WRITTEN = "stocky.may_have_written"

# The scalar subquery is evaluated once, so the (tenant_id, xid, id) index is used.
_FEED_OF_THIS_TRANSACTION = text(
    """
    SELECT c.tenant_id, c.sede_id, c.xid::text AS position, c.entity
    FROM changes c
    WHERE c.tenant_id = stocky_current_tenant()
      AND c.xid = (SELECT pg_current_xact_id_if_assigned())
    GROUP BY c.tenant_id, c.sede_id, c.xid, c.entity
    """
)


@dataclass(frozen=True)
class FeedTouched:
    """What one transaction added to a tenant's change feed, announced after its commit."""

    tenant_id: uuid.UUID
    position: str  # the transaction's xid, as its feed rows and push results carry it
    sede_ids: frozenset[uuid.UUID]  # the sedes of its sede-scoped rows
    whole_tenant: bool  # a tenant-wide row: every sede of the tenant pulls it
    # The feed's entities (table names: sales, products...): the web admin redraws only the
    # lists they concern.
    entities: frozenset[str] = frozenset()


FeedListener = Callable[[FeedTouched], Coroutine[Any, Any, None]]


def _reads_only(statement: Any) -> bool:
    if isinstance(statement, Select):
        return True
    return isinstance(statement, TextClause) and statement.text.lstrip()[:6].lower() == "select"


@listens_for(Session, "do_orm_execute")
def _note_writes(state: ORMExecuteState) -> None:
    info = state.session.info
    if FEED_LISTENER_KEY in info and not _reads_only(state.statement):
        info[_MAY_HAVE_WRITTEN] = True


@listens_for(Session, "after_flush")
def _note_flush(session: Session, _flush_context: Any) -> None:
    if FEED_LISTENER_KEY in session.info:
        session.info[_MAY_HAVE_WRITTEN] = True


@listens_for(Session, "before_commit")
def _announce_feed_on_commit(session: Session) -> None:
    listener: FeedListener | None = session.info.get(FEED_LISTENER_KEY)
    if listener is None or session.in_nested_transaction():
        return
    # COMMIT flushes only after this hook: flush now, so pending objects' feed rows exist.
    session.flush()
    if not session.info.pop(_MAY_HAVE_WRITTEN, False):
        return
    rows = session.execute(_FEED_OF_THIS_TRANSACTION).all()
    for tenant_id in {row.tenant_id for row in rows}:
        mine = [row for row in rows if row.tenant_id == tenant_id]
        touched = FeedTouched(
            tenant_id,
            position=mine[0].position,
            sede_ids=frozenset(row.sede_id for row in mine if row.sede_id is not None),
            whole_tenant=any(row.sede_id is None for row in mine),
            entities=frozenset(row.entity for row in mine),
        )
        on_commit(session, listener, touched)
