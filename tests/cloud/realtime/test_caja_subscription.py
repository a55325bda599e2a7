"""The caja's SedeSubscription: pulls on sync.changes, and catches up after a drop."""

from __future__ import annotations

import asyncio

import pytest

from stocky.edge.sync.realtime import SedeSubscription
from tests.cloud.realtime.conftest import Live, bearer
from tests.cloud.realtime.world import RealtimeWorld, pull, push_entry

pytestmark = pytest.mark.asyncio


class Puller:
    """What the caja's pull worker does on a nudge: pull from its cursor until done."""

    def __init__(self, live: Live, world: RealtimeWorld) -> None:
        self.live, self.world = live, world
        self.cursor: str | None = None
        self.entities: list[str] = []
        self.calls = 0
        self.changed = asyncio.Event()

    async def __call__(self) -> None:
        self.calls += 1
        page = await pull(self.live.url, self.world.caja, self.cursor)
        self.cursor = str(page["cursor"])
        changes = page["changes"]
        assert isinstance(changes, list)
        if changes:
            self.entities += [c["entity"] for c in changes]
            self.changed.set()


async def _settled(puller: Puller) -> None:
    """Wait for the initial catch-up pulls to drain the seeded feed."""
    for _ in range(100):
        puller.changed.clear()
        await puller()
        if not puller.changed.is_set():
            return
    raise AssertionError("the feed never drained")


async def test_pulls_at_once_on_sync_changes(live: Live, world: RealtimeWorld) -> None:
    puller = Puller(live, world)
    sub = SedeSubscription(live.url, bearer(world.caja.headers), puller)
    await sub.start()
    try:
        await sub.wait_connected()
        await _settled(puller)
        puller.changed.clear()
        await push_entry(live.url, world.caja, world.rice.id)
        # A straggler of the first pulls may set `changed` first on a loaded machine: wait
        # for the pull that brings the push, not for any pull.
        async with asyncio.timeout(30):
            while True:
                puller.changed.clear()
                if "transactions" in puller.entities:
                    break
                await puller.changed.wait()
    finally:
        await sub.stop()


async def test_catches_up_after_a_drop(live: Live, world: RealtimeWorld) -> None:
    puller = Puller(live, world)
    sub = SedeSubscription(live.url, bearer(world.caja.headers), puller, min_delay_s=1.0)
    await sub.start()
    try:
        await sub.wait_connected()
        await _settled(puller)
        await sub.drop()  # the link dies (no goodbye)
        for _ in range(50):
            if not sub.connected:
                break
            await asyncio.sleep(0.01)
        assert not sub.connected
        puller.changed.clear()
        await push_entry(live.url, world.caja, world.rice.id)  # its nudge reaches nobody
        assert not sub.connected, "the push must land while the caja is away"
        await asyncio.wait_for(puller.changed.wait(), 10)  # far from the 5-minute poll
        assert sub.connects == 2
        assert "transactions" in puller.entities
    finally:
        await sub.stop()


async def test_retries_with_backoff_while_refused(live: Live, world: RealtimeWorld) -> None:
    calls = 0

    async def on_changes() -> None:
        nonlocal calls
        calls += 1

    sub = SedeSubscription(live.url, "dc_not_a_real_credential", on_changes, min_delay_s=0.1)
    await sub.start()
    try:
        await asyncio.sleep(1.0)
        assert not sub.connected
        assert sub.last_error
        assert calls == 0
    finally:
        await sub.stop()
    assert [sub.retry_delay(n) >= 0.1 for n in range(5)] == [True] * 5
    assert max(sub.retry_delay(30) for _ in range(50)) <= sub.max_delay_s
