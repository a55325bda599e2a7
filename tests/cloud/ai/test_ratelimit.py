"""The per-tenant token bucket: a burst past its capacity answers 429 naming when to retry;
another tenant's bucket is its own; tokens come back with time."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI

from stocky.cloud.ai import ratelimit
from stocky.core.errors import RateLimitedError
from tests.cloud.ai.conftest import AiWorld
from tests.cloud.factories import create_product, create_shop

pytestmark = pytest.mark.asyncio


async def test_a_burst_past_the_capacity_is_429_with_retry_after(
    client: httpx.AsyncClient, cloud_app: FastAPI, world: AiWorld
) -> None:
    settings = cloud_app.state.settings
    settings.ai_rate_capacity = 2
    settings.ai_rate_per_minute = 1.0
    body = {"product_ids": [str(world.products[0].id)]}
    for _ in range(2):
        r = await client.post("/api/ai/normalize", json=body, headers=world.shop.admin)
        assert r.status_code == 200, r.text
    r = await client.post("/api/ai/normalize", json=body, headers=world.shop.admin)
    assert r.status_code == 429, r.text
    retry = int(r.headers["Retry-After"])
    assert 1 <= retry <= 60
    assert f"Try again in {retry} seconds" in r.json()["message"]

    other = await create_shop(cloud_app, "Otra")
    theirs = await create_product(cloud_app.state.sessionmaker, other.tenant_id, name="Sal")
    r = await client.post(
        "/api/ai/normalize", json={"product_ids": [str(theirs.id)]}, headers=other.admin
    )
    assert r.status_code == 200, "another tenant's bucket is its own"


async def test_tokens_come_back_at_the_rate(cloud_app: FastAPI) -> None:
    redis = cloud_app.state.redis
    tenant = uuid.uuid4()
    kwargs = {"capacity": 1, "per_minute": 60.0}
    await ratelimit.take(redis, tenant, now=1000.0, **kwargs)
    with pytest.raises(RateLimitedError) as refused:
        await ratelimit.take(redis, tenant, now=1000.5, **kwargs)
    assert refused.value.headers == {"Retry-After": "1"}
    await ratelimit.take(redis, tenant, now=1001.5, **kwargs)
