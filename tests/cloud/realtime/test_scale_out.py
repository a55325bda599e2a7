"""Two `stocky cloud serve` processes over one PostgreSQL and one Redis: an event raised in
process A reaches a client connected to process B (python-socketio's Redis manager)."""

from __future__ import annotations

import httpx
import pytest

from stocky.cloud.config import Settings
from stocky.cloud.db import SessionMaker
from tests.cloud.realtime.conftest import Listener, bearer
from tests.cloud.realtime.world import build_world, push_entry

pytestmark = pytest.mark.asyncio


async def test_push_through_a_reaches_a_client_of_b(
    two_servers: tuple[str, str], cloud_app, app_sessionmaker: SessionMaker, settings: Settings
) -> None:
    url_a, url_b = two_servers
    # cloud_app shares the servers' data dir, so its key ring signs tokens they accept.
    world = await build_world(cloud_app, app_sessionmaker)
    at_a, at_b, manager_at_b = Listener(), Listener(), Listener()
    await at_a.connect(url_a, bearer(world.caja.headers))
    await at_b.connect(url_b, bearer(world.caja.headers))
    await manager_at_b.connect(url_b, bearer(world.manager))
    try:
        pushed = await push_entry(url_a, world.caja, world.rice.id)
        position = pushed.json()["results"][0]["position"]
        assert (await at_b.next("sync.changes"))["position"] == position
        assert (await manager_at_b.next("sync.changes"))["position"] == position
        assert (await at_a.next("sync.changes"))["position"] == position
    finally:
        for listener in (at_a, at_b, manager_at_b):
            await listener.close()


async def test_a_catalog_edit_through_a_reaches_every_sede_on_b(
    two_servers: tuple[str, str], cloud_app, app_sessionmaker: SessionMaker
) -> None:
    """A tenant-wide nudge travels as one batch message; B delivers each sede its own event."""
    url_a, url_b = two_servers
    world = await build_world(cloud_app, app_sessionmaker)
    centro, norte = Listener(), Listener()
    await centro.connect(url_b, bearer(world.caja.headers))
    await norte.connect(url_b, bearer(world.caja_norte.headers))
    try:
        async with httpx.AsyncClient(base_url=url_a, timeout=10) as http:
            response = await http.patch(
                f"/api/products/{world.rice.id}",
                json={"name": "Arroz Diana 500 g", "version": world.rice.version},
                headers=world.manager,
            )
        assert response.status_code == 200, response.text
        heard_centro = await centro.next("sync.changes")
        heard_norte = await norte.next("sync.changes")
        assert heard_centro["sede_id"] == str(world.centro)
        assert heard_norte["sede_id"] == str(world.norte)
        assert heard_centro["position"] == heard_norte["position"]
        # The internal batch message itself never reaches a client.
        await centro.nothing("stocky.internal.batch", wait=0.3)
    finally:
        await centro.close()
        await norte.close()
