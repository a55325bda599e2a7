from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from fastapi import FastAPI

from stocky.cloud.app import create_app
from stocky.cloud.config import Settings
from stocky.cloud.embedded import Services
from tests.cloud.transfers.world import TransferWorld, build_world
from tests.fixtures.database import DatabaseUrls


@pytest_asyncio.fixture
async def jobs_app(settings: Settings, database: DatabaseUrls) -> AsyncIterator[FastAPI]:
    """The cloud in-process with its job worker (`serve --with-worker`)."""
    services = Services(
        database_url=database.owner_url,
        app_database_url=database.app_url,
        redis_url=str(settings.redis_url),
    )
    tuned = settings.model_copy(update={"worker_concurrency": 8})
    app = create_app(tuned, services, with_worker=True)
    async with app.router.lifespan_context(app):
        yield app


@pytest_asyncio.fixture
async def jobs_client(jobs_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=jobs_app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest_asyncio.fixture
async def world(jobs_app: FastAPI, jobs_client: httpx.AsyncClient) -> TransferWorld:
    return await build_world(jobs_app, jobs_client)


@pytest_asyncio.fixture
async def world_without_worker(cloud_app: FastAPI, client: httpx.AsyncClient) -> TransferWorld:
    """The same world on the cloud without a worker: jobs stay queued."""
    return await build_world(cloud_app, client)
