"""The caja's process as one runtime: what it starts, and closing a shift through it.

A runtime on a data dir with no activated caja starts nothing (the screens show the
activation screen); on an activated one it serves the local API and runs the sync engine
against a live cloud, and closing a shift through the local API flushes the outbox first:
when the close answers, every op queued before it is in the cloud.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from stocky.edge.api.app import PREFIX
from stocky.edge.config import EdgeSettings
from stocky.edge.runtime import CajaRuntime, NotReadyError
from tests.edge.sync.live_shop import PASSWORD, seed_shop, sell
from tests.fixtures.cloud_process import free_port


@pytest.mark.asyncio
async def test_a_data_dir_with_no_caja_starts_nothing(tmp_path: Path) -> None:
    runtime = CajaRuntime(EdgeSettings(data_dir=tmp_path / "empty"))
    await runtime.start()
    try:
        assert not runtime.activated
        assert runtime.api is None
        assert runtime.engine is None
        assert not (tmp_path / "empty" / "caja.db").exists()
        with pytest.raises(NotReadyError):
            runtime.require_store()
    finally:
        await runtime.stop()


@pytest.mark.asyncio
async def test_closing_a_shift_flushes_the_outbox_first(live_cloud: str, tmp_path: Path) -> None:
    shop = seed_shop(live_cloud, tmp_path / "c1")
    # Pulls and pings only when asked: the push worker and the flush are what move ops.
    settings = EdgeSettings(data_dir=shop.data_dir, ping_seconds=3600, pull_poll_seconds=3600)
    runtime = CajaRuntime(settings)
    await runtime.start()
    try:
        assert runtime.engine is not None
        assert runtime.api is not None
        store = runtime.require_store()
        transport = httpx.ASGITransport(app=runtime.api)
        async with httpx.AsyncClient(
            transport=transport, base_url=f"http://127.0.0.1{PREFIX}"
        ) as api:
            r = await api.post("/login", json={"email": "caja@example.com", "password": PASSWORD})
            assert r.status_code == 200, r.text
            headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
            r = await api.post("/shifts/open", json={"opening_float": "0"}, headers=headers)
            assert r.status_code == 201, r.text
            for _ in range(3):
                sell(store, shop)
            r = await api.post("/shifts/close", json={"counted_cash": "13500"}, headers=headers)
            assert r.status_code == 200, r.text
            ops = store.read(
                lambda c: c.execute("SELECT kind, status FROM sync_queue ORDER BY seq").fetchall()
            )
        before_close = [(kind, status) for kind, status in ops if kind != "shift.close"]
        assert len(before_close) == 4  # the shift's open and its three sales
        assert {status for _, status in before_close} == {"synced"}
    finally:
        await runtime.stop()
    assert store.closed


def test_headless_serves_the_local_api_and_stops_on_a_signal(
    live_cloud: str, tmp_path: Path
) -> None:
    """`stocky edge run --headless`: the runtime's local API alone, the sync engine behind it;
    SIGTERM stops it cleanly. A data dir with no caja refuses to start, naming the fix."""
    refused = subprocess.run(
        [sys.executable, "-m", "stocky", "edge", "run", "--headless", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 1
    assert "stocky edge activate" in refused.stderr
    shop = seed_shop(live_cloud, tmp_path / "c1")
    port = free_port()
    args = ["edge", "run", "--headless", "--data-dir", str(shop.data_dir), "--port", str(port)]
    with (tmp_path / "caja.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "stocky", *args], stdout=log, stderr=log, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}{PREFIX}/status"
    deadline = time.monotonic() + 60
    try:
        while True:  # wait for the server to listen (a readiness wait, not a timed check)
            try:
                status = httpx.get(url, timeout=1)
                if status.status_code == 200 and status.json()["online"]:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, (tmp_path / "caja.log").read_text()
            assert time.monotonic() < deadline, "the caja did not come online"
            time.sleep(0.2)
        assert status.json()["activated"] is True
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        # uvicorn re-raises the signal once it has shut down, so the exit code is -SIGTERM.
        assert proc.wait(timeout=30) in (0, -signal.SIGTERM)
    log_text = (tmp_path / "caja.log").read_text()
    assert "Application shutdown complete" in log_text, log_text
    assert "Traceback" not in log_text, log_text
