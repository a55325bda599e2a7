from __future__ import annotations

import pytest_asyncio
from fastapi import FastAPI

from tests.cloud.factories import Shop, create_shop


@pytest_asyncio.fixture
async def shop(cloud_app: FastAPI) -> Shop:
    return await create_shop(cloud_app, "Tienda Uno")


@pytest_asyncio.fixture
async def other_shop(cloud_app: FastAPI) -> Shop:
    return await create_shop(cloud_app, "Tienda Dos")
