from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest_asyncio

from stocky.edge.api.app import create_local_app
from stocky.edge.config import EdgeSettings
from tests.edge.factories import PASSWORD, Caja, caja

__all__ = ["caja"]


@pytest_asyncio.fixture
async def api(caja: Caja, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_local_app(caja.store, EdgeSettings(data_dir=tmp_path / "data"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1/local/api"
    ) as client:
        yield client


async def login(api: httpx.AsyncClient, email: str = "cajero@example.com") -> dict[str, str]:
    response = await api.post("/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest_asyncio.fixture
async def cashier(api: httpx.AsyncClient) -> dict[str, str]:
    return await login(api)


@pytest_asyncio.fixture
async def manager(api: httpx.AsyncClient) -> dict[str, str]:
    return await login(api, "admin@example.com")
