"""The gateway: who may connect, which rooms they land in, what they hear and when."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
import socketio
from sqlalchemy import update

from stocky.cloud.db import SessionMaker, tenant_transaction
from stocky.cloud.models import Device
from tests.cloud.realtime.conftest import Live, bearer
from tests.cloud.realtime.world import RealtimeWorld, build_world, pull, push_entry
from tests.cloud.sync.ops import entry_op

pytestmark = pytest.mark.asyncio


class TestConnect:
    async def test_refused_without_a_credential(self, live: Live, world, listeners) -> None:
        with pytest.raises(socketio.exceptions.ConnectionError, match=r"auth\.token"):
            await listeners().connect(live.url, None)

    @pytest.mark.parametrize("token", ["nonsense", "dc_x_y_z", "eyJhbGciOiJub25lIn0.e30."])
    async def test_refused_with_a_bad_credential(self, live: Live, world, listeners, token) -> None:
        with pytest.raises(socketio.exceptions.ConnectionError, match=r"auth\.token"):
            await listeners().connect(live.url, token)

    async def test_refused_for_a_revoked_caja(
        self, live: Live, world: RealtimeWorld, listeners, app_sessionmaker: SessionMaker
    ) -> None:
        async with tenant_transaction(app_sessionmaker, world.tenant_id) as session:
            await session.execute(
                update(Device).where(Device.id == world.caja.device_id).values(status="revoked")
            )
        with pytest.raises(socketio.exceptions.ConnectionError, match="revoked"):
            await listeners().connect(live.url, bearer(world.caja.headers))


class TestSyncChanges:
    async def test_caja_hears_its_push_after_commit(
        self, live: Live, world: RealtimeWorld, listeners
    ) -> None:
        caja = listeners()
        await caja.connect(live.url, bearer(world.caja.headers))
        before = await pull(live.url, world.caja)
        pushed = await push_entry(live.url, world.caja, world.rice.id)
        event = await caja.next("sync.changes")
        assert event["sede_id"] == str(world.centro)
        assert event["position"] == pushed.json()["results"][0]["position"]
        # Emitted after the commit: a pull started on the event sees the change.
        after = await pull(live.url, world.caja, str(before["cursor"]))
        assert any(c["entity"] == "transactions" for c in after["changes"])  # type: ignore[attr-defined]

    async def test_only_the_pushing_sede_hears_a_sale(
        self, live: Live, world: RealtimeWorld, listeners
    ) -> None:
        centro, norte, manager = listeners(), listeners(), listeners()
        await centro.connect(live.url, bearer(world.caja.headers))
        await norte.connect(live.url, bearer(world.caja_norte.headers))
        await manager.connect(live.url, bearer(world.manager))
        await push_entry(live.url, world.caja, world.rice.id)
        assert (await centro.next("sync.changes"))["sede_id"] == str(world.centro)
        assert (await manager.next("sync.changes"))["sede_id"] == str(world.centro)
        await norte.nothing("sync.changes")

    async def test_a_client_cannot_join_another_room(
        self, live: Live, world: RealtimeWorld, listeners
    ) -> None:
        norte = listeners()
        await norte.connect(live.url, bearer(world.caja_norte.headers))
        for event in ("join", "enter_room", "subscribe"):
            await norte.sio.emit(event, {"room": f"sede:{world.centro}"})
        await push_entry(live.url, world.caja, world.rice.id)
        await norte.nothing("sync.changes")

    async def test_other_tenants_hear_nothing(
        self, live: Live, world: RealtimeWorld, listeners, app_sessionmaker: SessionMaker
    ) -> None:
        other = await build_world(live.app, app_sessionmaker, "Otra")
        stranger, stranger_owner = listeners(), listeners()
        await stranger.connect(live.url, bearer(other.caja.headers))
        await stranger_owner.connect(live.url, bearer(other.owner))
        await push_entry(live.url, world.caja, world.rice.id)
        await stranger.nothing("sync.changes")
        await stranger_owner.nothing("sync.changes", wait=0.1)

    async def test_catalog_edit_nudges_every_sede(
        self, live: Live, world: RealtimeWorld, listeners
    ) -> None:
        centro, norte = listeners(), listeners()
        await centro.connect(live.url, bearer(world.caja.headers))
        await norte.connect(live.url, bearer(world.caja_norte.headers))
        async with httpx.AsyncClient(base_url=live.url) as http:
            response = await http.patch(
                f"/api/products/{world.rice.id}",
                json={"name": "Arroz Diana 500 g", "version": world.rice.version},
                headers=world.manager,
            )
        assert response.status_code == 200, response.text
        assert (await centro.next("sync.changes"))["position"]
        assert (await norte.next("sync.changes"))["sede_id"] == str(world.norte)

    async def test_threshold_change_nudges_its_sede_only(
        self, live: Live, world: RealtimeWorld, listeners
    ) -> None:
        centro, norte = listeners(), listeners()
        await centro.connect(live.url, bearer(world.caja.headers))
        await norte.connect(live.url, bearer(world.caja_norte.headers))
        async with httpx.AsyncClient(base_url=live.url) as http:
            response = await http.put(
                f"/api/inventory/{world.centro}/{world.rice.id}/thresholds",
                json={"min_stock": "2", "max_stock": "20"},
                headers=world.owner,
            )
        assert response.status_code == 200, response.text
        await centro.next("sync.changes")
        await norte.nothing("sync.changes")

    async def test_refused_write_emits_nothing(
        self, live: Live, world: RealtimeWorld, listeners
    ) -> None:
        centro = listeners()
        await centro.connect(live.url, bearer(world.caja.headers))
        async with httpx.AsyncClient(base_url=live.url) as http:
            response = await http.patch(
                f"/api/products/{world.rice.id}",
                json={"name": "Stale", "version": world.rice.version + 5},
                headers=world.manager,
            )
        assert response.status_code == 409, response.text
        await centro.nothing("sync.changes")


async def _wait_for(predicate: Any, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not await predicate():
            await asyncio.sleep(0.05)


class TestTenantChanges:
    async def test_the_tenant_hears_what_committed_and_what_was_refused(
        self, live: Live, world: RealtimeWorld, listeners
    ) -> None:
        """`tenant.changes` (the web admin's redraw signal) names the sede and the feed's
        entities of a committed push; a push whose ops were all refused writes nothing to
        the feed but still counts in the sync log, so it is told as `sync_ops`."""
        owner = listeners()
        await owner.connect(live.url, bearer(world.owner))
        await push_entry(live.url, world.caja, world.rice.id)
        event = await owner.next("tenant.changes")
        assert event["sede_ids"] == [str(world.centro)]
        assert "transactions" in event["entities"]
        assert not event["whole_tenant"]
        refused = {
            "sede_id": str(world.caja.sede_id),
            "device_id": str(world.caja.device_id),
            "operations": [entry_op(uuid.uuid4(), "5")],  # a product the cloud does not have
        }
        async with httpx.AsyncClient(base_url=live.url, timeout=10) as http:
            r = await http.post("/api/sync/push", json=refused, headers=world.caja.headers)
        assert r.json()["results"][0]["status"] == "rejected", r.text
        event = await owner.next("tenant.changes")
        assert (event["sede_ids"], event["entities"]) == ([str(world.centro)], ["sync_ops"])
