"""The presence job: sedes with connected cajas stay online, silent ones go offline.

A periodic task of the API process (started in the app lifespan), not a side effect of a
request: a sede whose cajas all went silent has nobody left to make a request for it.
Every process runs one; the guarded UPDATE lets exactly one of them announce a change.
Each tick also re-checks the credentials behind this process's sockets (`Gateway.recheck`),
the safety net behind the drops that revocation and user changes send at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import UTC, datetime, timedelta

from stocky.cloud.db import SessionMaker, tenant_transaction
from stocky.cloud.realtime import repository as repo
from stocky.cloud.realtime.emit import emit_sede_presence
from stocky.cloud.realtime.schemas import SedePresenceEvent
from stocky.cloud.realtime.server import Gateway

log = logging.getLogger(__name__)


class PresenceMonitor:
    """start()/stop() around one loop; run_once() for tests."""

    def __init__(
        self, gateway: Gateway, sessionmaker: SessionMaker, *, timeout_s: float, interval_s: float
    ) -> None:
        self.gateway = gateway
        self.sessionmaker = sessionmaker
        self.timeout = timedelta(seconds=timeout_s)
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    async def run_once(self, now: datetime | None = None) -> list[SedePresenceEvent]:
        """Refresh sedes with sockets here, mark silent ones offline; return what was emitted."""
        now = now or datetime.now(UTC)
        by_tenant: dict[uuid.UUID, list[uuid.UUID]] = {}
        for tenant_id, sede_id in list(self.gateway.local_sedes):
            by_tenant.setdefault(tenant_id, []).append(sede_id)
        for tenant_id, sede_ids in by_tenant.items():
            await self.gateway.touch_sedes(tenant_id, sede_ids)
        cutoff = now - self.timeout
        async with self.sessionmaker() as session, session.begin():
            stale = await repo.stale_sedes(session, cutoff)
        emitted: list[SedePresenceEvent] = []
        for tenant_id, ids in stale.items():
            async with tenant_transaction(self.sessionmaker, tenant_id) as session:
                offline = await repo.mark_offline(session, tenant_id, ids, cutoff)
            for sede_id, last_ping_at in offline:
                event = SedePresenceEvent(sede_id=sede_id, online=False, last_ping_at=last_ping_at)
                await emit_sede_presence(self.gateway.sio, tenant_id, event)
                emitted.append(event)
        return emitted

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("presence job failed; retrying next tick")
            try:
                await self.gateway.recheck()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("socket credential recheck failed; retrying next tick")

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="sede-presence")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
