"""Two `stocky cloud serve` processes over one PostgreSQL and one Redis: an event raised in
process A reaches a client connected to process B (python-socketio's Redis manager)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from stocky.cloud.auth.keys import KeyRing
from stocky.cloud.config import Settings
from stocky.cloud.db import SessionMaker
from tests.cloud.realtime.conftest import Listener, bearer
from tests.cloud.realtime.world import build_world, push_entry
from tests.fixtures.database import APP_PASSWORD, DatabaseUrls
from tests.fixtures.live import _free_port

pytestmark = pytest.mark.asyncio


def _serve(
    data_dir: Path, database: DatabaseUrls, redis_url: str, port: int
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "STOCKY_DATA_DIR": str(data_dir),
        "STOCKY_DATABASE_URL": database.owner_url,
        "STOCKY_APP_DATABASE_URL": database.app_url,
        "STOCKY_APP_DB_PASSWORD": APP_PASSWORD,
        "STOCKY_REDIS_URL": redis_url,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "stocky", "cloud", "serve", "--no-migrate", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_healthy(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}"
            )
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not start")


@pytest.fixture
def two_servers(settings: Settings, database: DatabaseUrls) -> Iterator[tuple[str, str]]:
    data_dir = settings.data_dir
    # One key ring for both, created before they start (they would race to create it).
    KeyRing.load_or_create(data_dir / "keys")
    ports = [_free_port(), _free_port()]
    procs = [_serve(data_dir, database, str(settings.redis_url), p) for p in ports]
    try:
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        for url, proc in zip(urls, procs, strict=True):
            _wait_healthy(url, proc)
        yield urls[0], urls[1]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


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
