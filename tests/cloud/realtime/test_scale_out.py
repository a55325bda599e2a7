"""Two `stocky cloud serve` processes over one PostgreSQL and one Redis: an event raised in
process A reaches a client connected to process B (python-socketio's Redis manager)."""

from __future__ import annotations

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
