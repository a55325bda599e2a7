"""POST /api/ai/normalize through the openai provider, against a local OpenAI-compatible
server (real HTTP, the real SDK): the tenant's model and base_url, the server's key, only
names, categories and the catalog's brands sent, tokens reported, the key never answered."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from tests.cloud.ai.conftest import AiWorld
from tests.cloud.ai.fake_openai import FakeOpenAI

pytestmark = pytest.mark.asyncio

KEY = "sk-test-api-Hq3wE7rT1yU5"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


async def test_the_tenants_model_answers_with_the_servers_key(
    client: httpx.AsyncClient, cloud_app: FastAPI, world: AiWorld, fake: FakeOpenAI
) -> None:
    cloud_app.state.settings.ai_openai_api_key = SecretStr(KEY)
    body = {"provider": "openai", "model": "llama3", "base_url": fake.base_url}
    r = await client.put("/api/ai/settings", json=body, headers=world.shop.owner)
    assert r.status_code == 200, r.text
    assert r.json()["openai_available"] is True
    assert KEY not in r.text

    ids = [str(p.id) for p in world.products[:3]]
    r = await client.post("/api/ai/normalize", json={"product_ids": ids}, headers=world.shop.admin)
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["provider"], out["model"]) == ("openai", "llama3")
    assert [b["provider_used"] for b in out["batches"]] == ["openai"]
    assert out["usage"]["requests"] == 1
    assert sorted(s["id"] for s in out["suggestions"]) == sorted(ids)
    assert KEY not in r.text

    (request,) = fake.requests
    assert request.headers.get("authorization") == f"Bearer {KEY}"
    assert request.json["model"] == "llama3"
    sent = request.payload
    assert sorted(p["id"] for p in sent["products"]) == sorted(ids)
    assert all(set(p) == {"id", "name"} for p in sent["products"]), "no prices, no stock"
    assert "2500" not in request.raw.decode()

    # The same call again answers from the cache: the model is not asked twice.
    r = await client.post("/api/ai/normalize", json={"product_ids": ids}, headers=world.shop.admin)
    assert r.json()["cached"] is True
    assert len(fake.requests) == 1
