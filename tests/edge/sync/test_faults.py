"""Process faults: kill -9 of a caja while it pushes, and of the cloud during a batch.

Real processes, real sockets, real files: nothing sold may be lost or counted twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from stocky.cloud.embedded import libpq_url
from stocky.edge.config import store_path
from stocky.edge.store import Store
from stocky.edge.sync.client import CloudClient
from stocky.edge.sync.push import PushWorker
from tests.edge.sync.live_shop import Shop, open_store, seed_shop, sell
from tests.fixtures.cloud_process import CloudProcess, free_port
from tests.fixtures.database import DatabaseUrls

pytestmark = pytest.mark.slow


def _backlog(shop: Shop, sales: int) -> None:
    with open_store(shop.data_dir) as store:
        for _ in range(sales):
            sell(store, shop)


def _cloud_counts(database: DatabaseUrls) -> tuple[int, int, str | None]:
    """(sale movements, distinct op ids applied, stock) as the owner sees them."""
    with psycopg.connect(libpq_url(database.owner_url)) as conn:
        movements, ops = conn.execute(
            "SELECT count(*), count(DISTINCT op_id) FROM transactions WHERE type = 'sale'"
        ).fetchone()  # type: ignore[misc]
        stock = conn.execute("SELECT quantity::text FROM inventory").fetchone()
    return movements, ops, stock[0] if stock else None


def _local_counts(data_dir: Path) -> dict[str, int]:
    with Store.open(store_path(data_dir)) as store:
        rows = store.read(
            lambda c: c.execute(
                "SELECT status, count(*) FROM sync_queue GROUP BY status"
            ).fetchall()
        )
    return {r[0]: r[1] for r in rows}


def _drain(shop: Shop, url: str) -> None:
    """Finish the push in-process, ignoring backoff, until the outbox is empty."""
    import asyncio

    async def run() -> None:
        with Store.open(store_path(shop.data_dir)) as store:
            row = store.read(
                lambda c: c.execute("SELECT device_credential, device_id FROM sede_info").fetchone()
            )
            client = CloudClient(url, row[0])
            worker = PushWorker(store, client, sede_id=shop.sede, device_id=row[1])
            for _ in range(50):
                await worker.run_once(ignore_backoff=True)
                if not store.read(
                    lambda c: c.execute(
                        "SELECT 1 FROM sync_queue WHERE status = 'pending'"
                    ).fetchone()
                ):
                    break
                await asyncio.sleep(0.2)
            await client.aclose()

    asyncio.run(run())


def test_caja_killed_while_pushing_loses_and_doubles_nothing(
    live_cloud: str, database: DatabaseUrls, tmp_path: Path
) -> None:
    shop = seed_shop(live_cloud, tmp_path / "caja")
    total = 1500
    _backlog(shop, total)
    port = free_port()
    caja = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stocky",
            "edge",
            "run",
            "--data-dir",
            str(shop.data_dir),
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while _cloud_counts(database)[0] == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        os.killpg(caja.pid, signal.SIGKILL)
        caja.wait()
    in_cloud_at_kill = _cloud_counts(database)[0]
    assert in_cloud_at_kill > 0, "the caja never pushed"
    _drain(shop, live_cloud)
    movements, ops, stock = _cloud_counts(database)
    assert movements == total
    assert ops == total
    assert stock == f"{-total}.000"
    assert _local_counts(shop.data_dir) == {"synced": total}


def test_cloud_killed_during_batches_loses_and_doubles_nothing(
    cloud_process: CloudProcess, database: DatabaseUrls, tmp_path: Path
) -> None:
    url = cloud_process.url
    shop = seed_shop(url, tmp_path / "caja")
    total = 1500
    _backlog(shop, total)
    port = free_port()
    caja = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stocky",
            "edge",
            "run",
            "--data-dir",
            str(shop.data_dir),
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while _cloud_counts(database)[0] == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        cloud_process.kill()
        at_kill = _cloud_counts(database)[0]
        assert at_kill < total, "the cloud died after the whole backlog: nothing was tested"
        time.sleep(1.0)
        cloud_process.start()
    finally:
        os.killpg(caja.pid, signal.SIGKILL)
        caja.wait()
    _drain(shop, url)
    movements, ops, stock = _cloud_counts(database)
    assert movements == total
    assert ops == total
    assert stock == f"{-total}.000"
    assert _local_counts(shop.data_dir) == {"synced": total}
    assert uuid.UUID(shop.sede)
