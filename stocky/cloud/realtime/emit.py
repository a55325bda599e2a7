"""Emitting events, and scheduling them to run only after the request's commit.

A client that hears `sync.changes` pulls at once; if the event went out before the commit,
that pull could miss the very change it was told about. So nothing emits it from a request:
`realtime.notices` hangs it on every transaction that wrote to the change feed, through
`stocky.cloud.db.on_commit`, which starts it as a task the moment the COMMIT returns. It does
not wait for the response to be serialized and sent (a Starlette background task would), and
a rollback drops it. `AfterCommit` (a FastAPI dependency) does the same for what a route
decides itself: disconnecting a revoked caja's or a changed user's sockets.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

import socketio
from fastapi import Depends, FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.db import FeedTouched, SessionMaker, on_commit, tenant_transaction
from stocky.cloud.realtime import repository as repo
from stocky.cloud.realtime.schemas import (
    SEDE_PRESENCE,
    SYNC_CHANGES,
    TENANT_CHANGES,
    SedePresenceEvent,
    SyncChangesEvent,
    TenantChangesEvent,
    event_data,
    sede_room,
    tenant_room,
)

log = logging.getLogger(__name__)


def _server(app_or_sio: FastAPI | socketio.AsyncServer) -> socketio.AsyncServer:
    if isinstance(app_or_sio, FastAPI):
        return app_or_sio.state.sio
    return app_or_sio


async def emit_sync_changes(
    app: FastAPI,
    tenant_id: uuid.UUID,
    sede_ids: Sequence[uuid.UUID] | None,
    position: str | None,
) -> None:
    """Tell each sede's room that it has changes to pull (`None`: every sede of the tenant).

    Call only after the commit (`realtime.notices` does, for every transaction). Failures
    are logged, never raised: the caja's periodic pull makes up for a lost nudge.
    """
    try:
        if sede_ids is None:
            sm: SessionMaker = app.state.sessionmaker
            async with tenant_transaction(sm, tenant_id) as session:
                sede_ids = await repo.tenant_sede_ids(session, tenant_id)
        # One emit per sede (each payload names its sede), all in one Redis message.
        await app.state.gateway.emit_many(
            [
                (
                    SYNC_CHANGES,
                    event_data(SyncChangesEvent(sede_id=sede_id, position=position)),
                    sede_room(sede_id),
                )
                for sede_id in sede_ids
            ]
        )
    except Exception:
        log.exception("could not emit %s for tenant %s", SYNC_CHANGES, tenant_id)


async def emit_tenant_changes(app: FastAPI, touched: FeedTouched) -> None:
    """Tell the tenant's room what committed (its users' sockets and the web admin's pages).

    Call only after the commit; failures are logged, never raised (a page's next
    navigation reads the truth anyway).
    """
    event = TenantChangesEvent(
        sede_ids=sorted(touched.sede_ids),
        whole_tenant=touched.whole_tenant,
        entities=sorted(touched.entities),
        position=touched.position,
    )
    await emit_tenant_event(app, touched.tenant_id, event)


async def emit_tenant_event(app: FastAPI, tenant_id: uuid.UUID, event: TenantChangesEvent) -> None:
    try:
        await app.state.gateway.emit_many(
            [(TENANT_CHANGES, event_data(event), tenant_room(tenant_id))]
        )
    except Exception:
        log.exception("could not emit %s for tenant %s", TENANT_CHANGES, tenant_id)


async def emit_sede_presence(
    app_or_sio: FastAPI | socketio.AsyncServer, tenant_id: uuid.UUID, event: SedePresenceEvent
) -> None:
    await _server(app_or_sio).emit(SEDE_PRESENCE, event_data(event), to=tenant_room(tenant_id))


async def drop_sockets(app: FastAPI, kind: str, entity_id: uuid.UUID) -> None:
    """Disconnect a revoked caja's (`kind="device"`) or a changed user's sockets, everywhere.

    Call only after the commit (a reconnect racing an uncommitted change would pass). Failures
    are logged: the presence job's recheck drops the socket a little later anyway.
    """
    try:
        gateway = app.state.gateway
        await (gateway.drop_device if kind == "device" else gateway.drop_user)(entity_id)
    except Exception:
        log.exception("could not disconnect the sockets of %s %s", kind, entity_id)


class AfterCommit:
    """Events a request raises, sent once its transaction has committed."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def drop_device(self, session: AsyncSession, device_id: uuid.UUID) -> None:
        """Disconnect the caja's sockets once `session` commits its revocation."""
        on_commit(session, drop_sockets, self.app, "device", device_id)

    def sede_online(
        self, session: AsyncSession, tenant_id: uuid.UUID, sede_id: uuid.UUID, at: datetime
    ) -> None:
        """Announce `sede.presence` online once `session` commits the sede coming online
        (a caja's ping, where its socket could not connect, or before it did)."""
        event = SedePresenceEvent(sede_id=sede_id, online=True, last_ping_at=at)
        on_commit(session, emit_sede_presence, self.app, tenant_id, event)

    def ops_refused(self, session: AsyncSession, tenant_id: uuid.UUID, sede_id: uuid.UUID) -> None:
        """A push that rejected (or conflicted) ops writes nothing to the feed, yet the sync
        log and the dashboard count them: tell the tenant's room once `session` commits."""
        event = TenantChangesEvent(sede_ids=[sede_id], whole_tenant=False, entities=["sync_ops"])
        on_commit(session, emit_tenant_event, self.app, tenant_id, event)

    def drop_user(self, session: AsyncSession, user_id: uuid.UUID) -> None:
        """Disconnect the user's sockets once `session` commits (disabled, role, sede...)."""
        on_commit(session, drop_sockets, self.app, "user", user_id)


def get_after_commit(request: Request) -> AfterCommit:
    return AfterCommit(request.app)


Realtime = Annotated[AfterCommit, Depends(get_after_commit)]
