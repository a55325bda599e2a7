"""GET /local/metrics of a caja: its outbox and sync times in Prometheus text, from the
same status the caja shows (a real store file, a real sale)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from stocky.edge.api.app import create_local_app
from stocky.edge.config import EdgeSettings
from stocky.edge.sync.state import set_state
from tests.cloud.observability.scrape import names, value
from tests.edge.api.conftest import login
from tests.edge.api.test_api import sale_body
from tests.edge.factories import Caja, caja

__all__ = ["caja"]

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def local(caja: Caja, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_local_app(caja.store, EdgeSettings(data_dir=tmp_path / "data"))
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        yield client


async def scrape(local: httpx.AsyncClient) -> str:
    response = await local.get("/local/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


class TestCajaMetrics:
    async def test_a_sale_waits_in_the_outbox(self, local, caja: Caja) -> None:
        before = await scrape(local)
        assert value(before, "stocky_caja_pending_ops") == 0
        assert value(before, "stocky_caja_lan_role", role="standalone") == 1
        assert value(before, "stocky_caja_lan_master") == 0
        async with httpx.AsyncClient(
            transport=local._transport, base_url="http://127.0.0.1/local/api"
        ) as api:
            headers = await login(api)
            response = await api.post("/sales", json=sale_body(caja), headers=headers)
        assert response.status_code in (200, 201), response.text
        text = await scrape(local)
        assert value(text, "stocky_caja_pending_ops") >= 1
        assert value(text, "stocky_caja_oldest_pending_age_seconds") >= 0
        assert "stocky_caja_last_push_timestamp_seconds" in names(text)  # declared, no sample

    async def test_last_push_and_lan_role_from_the_sync_state(self, local, caja: Caja) -> None:
        pushed = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
        await caja.store.awrite(
            lambda conn: set_state(conn, last_push_at=pushed.isoformat(), lan_role="master")
        )
        text = await scrape(local)
        assert value(text, "stocky_caja_last_push_timestamp_seconds") == pushed.timestamp()
        assert value(text, "stocky_caja_lan_master") == 1
        assert value(text, "stocky_caja_lan_role", role="master") == 1

    async def test_only_from_loopback(self, caja: Caja, tmp_path: Path) -> None:
        app = create_local_app(caja.store, EdgeSettings(data_dir=tmp_path / "data"))
        transport = httpx.ASGITransport(app=app, client=("192.168.1.20", 50001))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            response = await c.get("/local/metrics")
        assert response.status_code == 403
        assert response.json()["message"] == "metrics: loopback only"
