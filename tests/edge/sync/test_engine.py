"""The whole engine of two cajas of one sede against a live cloud (HTTP + Socket.IO).

A sale at one caja reaches the other within seconds, with no polling: the local commit
wakes the push, the cloud emits `sync.changes` to the sede's room after its commit, and the
other caja pulls on the event (its poll interval here is an hour).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from stocky.edge.store import Store
from stocky.edge.sync.engine import SyncEngine
from stocky.edge.sync.status import caja_status
from tests.edge.sync.live_shop import open_store, seed_shop, sell

pytestmark = pytest.mark.asyncio


def _quantity(store: Store) -> int:
    row = store.read(lambda c: c.execute("SELECT quantity_milli FROM inventory").fetchone())
    return 0 if row is None else int(row[0])


async def _until(predicate, timeout: float = 20.0) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError("timed out")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def test_a_sale_reaches_the_other_caja_through_the_event(
    live_cloud: str, tmp_path: Path
) -> None:
    shop = seed_shop(live_cloud, tmp_path / "c1", tmp_path / "c2")
    stores = [open_store(d) for d in shop.data_dirs]
    engines = [SyncEngine.for_store(s, ping_seconds=0.5, poll_seconds=3600) for s in stores]
    try:
        for engine in engines:
            await engine.start()
        for engine in engines:
            assert engine.subscription is not None
            await engine.subscription.wait_connected(15)
        await _until(lambda: stores[1].read(caja_status)["online"])

        sell(stores[0], shop, "3")
        elapsed = await _until(lambda: _quantity(stores[1]) == -3000)
        print(f"sale at caja 1 visible at caja 2 after {elapsed * 1000:.0f} ms")
        assert _quantity(stores[0]) == -3000
        status = stores[0].read(caja_status)
        assert status["pending_ops"] == 0
        assert status["last_push_at"] is not None
        assert status["clock_offset_ms"] is not None
    finally:
        for engine in engines:
            await engine.stop()
        for store in stores:
            store.close()


async def test_offline_sales_drain_when_the_cloud_returns(live_cloud: str, tmp_path: Path) -> None:
    """The caja keeps selling with the cloud unreachable; the queue drains on its own."""
    shop = seed_shop(live_cloud, tmp_path / "c1")
    store = open_store(shop.data_dir)
    # The caja believes the cloud lives on a port where nothing listens.
    store.write(lambda c: c.execute("UPDATE sede_info SET cloud_url = 'http://127.0.0.1:9'"))
    engine = SyncEngine.for_store(store, ping_seconds=0.2, poll_seconds=3600)
    await engine.start()
    try:
        for _ in range(5):
            sell(store, shop)

        def attempts() -> int:
            row = store.read(lambda c: c.execute("SELECT max(attempts) FROM sync_queue").fetchone())
            return int(row[0])

        await _until(lambda: attempts() >= 1, timeout=10)
        await _until(lambda: store.read(caja_status)["last_ping_at"] is not None)
        status = store.read(caja_status)
        assert status["online"] is False
        assert status["pending_ops"] == 5
        assert "ConnectError" in status["last_push_error"]
    finally:
        await engine.stop()
    # Back online: the same caja, now pointed at the live cloud. Its ops had backed off for
    # minutes; coming back online must not wait for that.
    store.write(lambda c: c.execute("UPDATE sede_info SET cloud_url = ?", (live_cloud,)))
    store.write(
        lambda c: c.execute("UPDATE sync_queue SET next_attempt_at = '2999-01-01T00:00:00Z'")
    )
    engine = SyncEngine.for_store(store, ping_seconds=0.2, poll_seconds=3600)
    await engine.start()
    try:
        await _until(lambda: store.read(caja_status)["pending_ops"] == 0, timeout=30)
        await _until(lambda: store.read(caja_status)["online"] is True)
        assert _quantity(store) == -5000
    finally:
        await engine.stop()
        store.close()
