from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest_asyncio

from stocky.edge.api.app import create_local_app
from stocky.edge.config import EdgeSettings
from tests.edge.factories import Caja, caja

__all__ = ["caja"]


@pytest_asyncio.fixture
async def api(caja: Caja, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_local_app(caja.store, EdgeSettings(data_dir=tmp_path / "data"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1/local/api"
    ) as client:
        yield client
