"""Sede presence: sedes with connected cajas stay online, silent ones go offline.

Two halves, because one is per process and the other is global:
- `PresenceMonitor`, a loop of every API process: it refreshes the last ping of the sedes
  whose cajas hold a socket to *this* process, and re-checks the credentials behind this
  process's sockets (`Gateway.recheck`), the safety net behind the drops that revocation
  and user changes send at once. Only the process holding the socket can do either.
- `sweep_silent_sedes`, the periodic job `presence.sweep` (stocky.cloud.jobs): it marks
  offline the sedes nobody has heard from, across all tenants, once per tick however many
  API processes run. A sede whose cajas all went silent has nobody left to make a request
  for it, so it cannot be a side effect of one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import UTC, datetime, timedelta

import procrastinate
from fastapi import FastAPI

from stocky.cloud.db import SessionMaker, tenant_transaction
from stocky.cloud.jobs.app import TaskSpec, every_seconds
from stocky.cloud.realtime import repository as repo
from stocky.cloud.realtime.emit import emit_sede_presence
from stocky.cloud.realtime.schemas import SedePresenceEvent
from stocky.cloud.realtime.server import Gateway

log = logging.getLogger(__name__)


async def sweep_silent_sedes(
    sessionmaker: SessionMaker, gateway: Gateway, timeout: timedelta, now: datetime | None = None
) -> list[SedePresenceEvent]:
    """Mark offline the sedes silent since before `now - timeout`; return what was emitted.

    The guarded UPDATE (still online, still silent) lets one sweep win if two overlap.
    """
    cutoff = (now or datetime.now(UTC)) - timeout
    async with sessionmaker() as session, session.begin():
        stale = await repo.stale_sedes(session, cutoff)
    emitted: list[SedePresenceEvent] = []
    for tenant_id, ids in stale.items():
        async with tenant_transaction(sessionmaker, tenant_id) as session:
            offline = await repo.mark_offline(session, tenant_id, ids, cutoff)
        for sede_id, last_ping_at in offline:
            event = SedePresenceEvent(sede_id=sede_id, online=False, last_ping_at=last_ping_at)
            await emit_sede_presence(gateway.sio, tenant_id, event)
            emitted.append(event)
    return emitted


async def presence_sweep(context: procrastinate.JobContext, timestamp: int) -> int:
    app: FastAPI = context.additional_context["app"]
    timeout = timedelta(seconds=app.state.settings.presence_timeout_s)
    emitted = await sweep_silent_sedes(app.state.sessionmaker, app.state.gateway, timeout)
    return len(emitted)


TASKS = [
    TaskSpec(
        name="presence.sweep",
        fn=presence_sweep,
        cron=lambda settings: every_seconds(settings.presence_interval_s),
    ),
]


class PresenceMonitor:
    """This process's half: start()/stop() around one loop; run_once() for tests."""

    def __init__(self, gateway: Gateway, *, interval_s: float) -> None:
        self.gateway = gateway
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> None:
        """Refresh the last ping of the sedes with a caja socket to this process."""
        by_tenant: dict[uuid.UUID, list[uuid.UUID]] = {}
        for tenant_id, sede_id in list(self.gateway.local_sedes):
            by_tenant.setdefault(tenant_id, []).append(sede_id)
        for tenant_id, sede_ids in by_tenant.items():
            await self.gateway.touch_sedes(tenant_id, sede_ids)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("presence refresh failed; retrying next tick")
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
