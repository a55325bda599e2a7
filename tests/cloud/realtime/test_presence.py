"""Sede presence: sockets and heartbeats keep a sede online; the job marks silence offline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from stocky.cloud.db import SessionMaker, tenant_transaction
from stocky.cloud.models import Sede
from tests.cloud.realtime.conftest import Listener, Live, bearer
from tests.cloud.realtime.world import RealtimeWorld

pytestmark = pytest.mark.asyncio


@pytest.fixture
def live_overrides() -> dict[str, Any]:
    # The sweep is a periodic job (whole seconds); the caja sockets' refresh runs at 0.2 s.
    return {"presence_timeout_s": 1.0, "presence_interval_s": 0.2}


@pytest.fixture
def live_with_worker() -> bool:
    return True


async def _sede(sm: SessionMaker, world: RealtimeWorld, sede_id: Any) -> Sede:
    async with tenant_transaction(sm, world.tenant_id) as session:
        sede: Sede = (await session.execute(select(Sede).where(Sede.id == sede_id))).scalar_one()
        return sede


async def test_caja_socket_brings_sede_online_and_silence_takes_it_offline(
    live: Live, world: RealtimeWorld, app_sessionmaker: SessionMaker
) -> None:
    owner, caja = Listener(), Listener()
    await owner.connect(live.url, bearer(world.owner))
    try:
        await caja.connect(live.url, bearer(world.caja.headers))
        online = await owner.next("sede.presence")
        assert online["sede_id"] == str(world.centro)
        assert online["online"] is True
        # A connected caja counts as a heartbeat: still online well past the timeout.
        await owner.nothing("sede.presence", wait=1.6)
        assert (await _sede(app_sessionmaker, world, world.centro)).is_online
        await caja.close()
        offline = await owner.next("sede.presence", timeout=5)
        assert offline == {
            "sede_id": str(world.centro),
            "online": False,
            "last_ping_at": offline["last_ping_at"],
        }
        assert offline["online"] is False
        sede = await _sede(app_sessionmaker, world, world.centro)
        assert not sede.is_online
        assert sede.last_ping_at is not None
    finally:
        await owner.close()


async def test_job_marks_a_sede_whose_heartbeats_stopped(
    live: Live, world: RealtimeWorld, app_sessionmaker: SessionMaker
) -> None:
    owner, manager = Listener(), Listener()
    await owner.connect(live.url, bearer(world.owner))
    await manager.connect(live.url, bearer(world.manager))
    try:
        # Listeners first: the job runs every 0.2 s and would otherwise emit before they join.
        # As a caja's /api/sync/ping leaves it: online, then it goes quiet (no socket at all).
        async with tenant_transaction(app_sessionmaker, world.tenant_id) as session:
            await session.execute(
                update(Sede)
                .where(Sede.id == world.norte)
                .values(is_online=True, last_ping_at=datetime.now(UTC) - timedelta(seconds=30))
            )
        event = await owner.next("sede.presence", timeout=5)
        assert event["sede_id"] == str(world.norte)
        assert event["online"] is False
        assert not (await _sede(app_sessionmaker, world, world.norte)).is_online
        # The presence feed is the tenant room's: a sede manager's socket is in it too.
        assert (await manager.next("sede.presence"))["sede_id"] == str(world.norte)
    finally:
        await owner.close()
        await manager.close()


async def test_a_ping_that_brings_a_sede_online_announces_it_once(
    live: Live, world: RealtimeWorld, app_sessionmaker: SessionMaker
) -> None:
    """A caja that only pings (its socket not up yet, or blocked by a proxy) brings its sede
    online too: the tenant hears it once, as a socket connecting would say it."""
    owner = Listener()
    await owner.connect(live.url, bearer(world.owner))
    try:
        assert not (await _sede(app_sessionmaker, world, world.centro)).is_online
        async with httpx.AsyncClient(base_url=live.url, headers=world.caja.headers) as caja:
            first = await caja.post("/api/sync/ping", json={})
            assert first.status_code == 200, first.text
            online = await owner.next("sede.presence")
            assert (online["sede_id"], online["online"]) == (str(world.centro), True)
            again = await caja.post("/api/sync/ping", json={})
            assert again.status_code == 200, again.text
            await owner.nothing("sede.presence", wait=0.5)  # already online: nothing to say
    finally:
        await owner.close()
