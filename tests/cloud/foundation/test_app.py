"""The app itself: health, OpenAPI, body limits, the CLI's error for an unreachable URL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from stocky.cloud.app import create_app
from stocky.cloud.config import Settings
from stocky.cloud.embedded import Services
from tests.fixtures.database import DatabaseUrls


@pytest.mark.asyncio
async def test_health_reports_both_services(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


@pytest.mark.asyncio
async def test_health_is_503_when_redis_is_down(settings: Settings, database: DatabaseUrls) -> None:
    services = Services(database.owner_url, database.app_url, "redis://127.0.0.1:1/0")
    app: FastAPI = create_app(settings, services)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            response = await c.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["redis"].startswith("down")


@pytest.mark.asyncio
async def test_openapi_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Stocky cloud API"


@pytest.mark.asyncio
async def test_oversized_body_is_413(client: httpx.AsyncClient, settings: Settings) -> None:
    response = await client.post("/health", content=b"x" * (settings.max_body_bytes + 1))
    assert response.status_code == 413
    assert "larger than" in response.json()["message"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("STOCKY_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nothing"),
        ("STOCKY_REDIS_URL", "redis://127.0.0.1:1/0"),
    ],
)
def test_unreachable_url_is_one_line_error(tmp_path, database: DatabaseUrls, variable, value):
    env = {
        **os.environ,
        "STOCKY_DATA_DIR": str(tmp_path),
        "STOCKY_DATABASE_URL": database.owner_url,
        variable: value,
    }
    result = subprocess.run(
        [sys.executable, "-m", "stocky", "cloud", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]
    assert "127.0.0.1:1" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_stops_its_embedded_postgres_on_exit(tmp_path, sig) -> None:
    """`stocky cloud serve` on embedded services leaves no PostgreSQL behind."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOCKY_")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stocky",
            "cloud",
            "serve",
            "--data-dir",
            str(tmp_path),
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the cloud did not start"
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.2)
        pid = int((tmp_path / "postgres" / "postmaster.pid").read_text().split()[0])
        proc.send_signal(sig)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 15
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not Path(f"/proc/{pid}").exists(), "the embedded PostgreSQL outlived the cloud"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
