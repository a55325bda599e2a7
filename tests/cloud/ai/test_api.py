"""POST /api/ai/normalize and /api/ai/settings: who may, what it answers, the 422s naming
the field, the cache (a second call does not run the provider), tenant isolation."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.cloud.ai.conftest import AiWorld, Calls, fields
from tests.cloud.factories import create_product, create_shop

pytestmark = pytest.mark.asyncio


class TestNormalize:
    async def test_products_by_id_get_suggestions_and_duplicate_groups(
        self, client: httpx.AsyncClient, world: AiWorld
    ) -> None:
        ids = [str(p.id) for p in world.products]
        r = await client.post(
            "/api/ai/normalize", json={"product_ids": ids}, headers=world.shop.manager
        )
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["provider"] == "local"
        assert out["cached"] is False
        by_id = {s["id"]: s for s in out["suggestions"]}
        assert set(by_id) == set(ids)
        coffee = by_id[ids[0]]
        assert coffee["brand"] == "Nescafé"
        assert (coffee["size"], coffee["unit"]) == ("170", "g")
        # The tenant's own category is the one assigned.
        assert by_id[ids[3]]["category"] == "Granos y Abarrotes"
        groups = [sorted(g["ids"]) for g in out["groups"]]
        assert sorted([ids[0], ids[1]]) in groups, "170g and 170 grs are one product"
        assert sorted([ids[3], ids[4]]) in groups
        assert not any(ids[2] in g for g in groups), "50 g is another size, not a duplicate"

    async def test_raw_rows_are_normalized_and_matched_against_the_catalog(
        self, client: httpx.AsyncClient, world: AiWorld
    ) -> None:
        rows = [{"id": "fila-1", "name": "cafe nescafe tradicion x 170 gr"}]
        r = await client.post("/api/ai/normalize", json={"rows": rows}, headers=world.shop.admin)
        assert r.status_code == 200, r.text
        out = r.json()
        assert [s["id"] for s in out["suggestions"]] == ["fila-1"]
        (group,) = [g for g in out["groups"] if "fila-1" in g["ids"]]
        assert str(world.products[0].id) in group["ids"]

    async def test_a_cashier_may_not(self, client: httpx.AsyncClient, world: AiWorld) -> None:
        body = {"product_ids": [str(world.products[0].id)]}
        r = await client.post("/api/ai/normalize", json=body, headers=world.shop.cashier)
        assert r.status_code == 403, r.text

    async def test_bad_input_names_the_field(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: AiWorld
    ) -> None:
        headers = world.shop.owner
        one = str(world.products[0].id)
        cases = [
            ({}, "product_ids"),
            ({"product_ids": [one], "rows": [{"id": "a", "name": "x"}]}, "product_ids"),
            ({"product_ids": []}, "product_ids"),
            ({"rows": [{"id": "a", "name": "x"}, {"id": "a", "name": "y"}]}, "rows.1.id"),
            ({"product_ids": [one], "provider": "gemini"}, "provider"),
        ]
        for body, field in cases:
            r = await client.post("/api/ai/normalize", json=body, headers=headers)
            assert r.status_code == 422, (body, r.text)
            assert any(field in f for f in fields(r)) or field in r.json()["message"], r.text
        cloud_app.state.settings.ai_sync_max_items = 2
        rows = [{"id": str(i), "name": "Arroz"} for i in range(3)]
        r = await client.post("/api/ai/normalize", json={"rows": rows}, headers=headers)
        assert r.status_code == 422, r.text
        assert fields(r) == ["rows"]
        assert "at most 2" in r.json()["message"]

    async def test_unknown_and_other_tenants_products_are_named(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: AiWorld
    ) -> None:
        other = await create_shop(cloud_app, "Otra")
        theirs = await create_product(cloud_app.state.sessionmaker, other.tenant_id, name="Sal")
        body = {"product_ids": [str(world.products[0].id), str(theirs.id)]}
        r = await client.post("/api/ai/normalize", json=body, headers=world.shop.admin)
        assert r.status_code == 422, r.text
        assert fields(r) == ["product_ids"]
        assert r.json()["unknown"] == [str(theirs.id)]

    async def test_the_same_input_answers_from_the_cache(
        self, client: httpx.AsyncClient, world: AiWorld, provider_calls: Calls
    ) -> None:
        body = {"product_ids": [str(p.id) for p in world.products[:3]]}
        first = await client.post("/api/ai/normalize", json=body, headers=world.shop.admin)
        assert first.status_code == 200, first.text
        assert len(provider_calls.rows) == 1
        # The order of the ids does not make it another input.
        body["product_ids"].reverse()
        second = await client.post("/api/ai/normalize", json=body, headers=world.shop.admin)
        assert second.status_code == 200, second.text
        assert second.json()["cached"] is True
        assert len(provider_calls.rows) == 1, "the provider did not run again"
        assert second.json()["suggestions"] == first.json()["suggestions"]

    async def test_a_changed_catalog_is_another_input(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: AiWorld, provider_calls: Calls
    ) -> None:
        body = {"product_ids": [str(world.products[0].id)]}
        await client.post("/api/ai/normalize", json=body, headers=world.shop.admin)
        await create_product(cloud_app.state.sessionmaker, world.shop.tenant_id, name="Sal Refisal")
        r = await client.post("/api/ai/normalize", json=body, headers=world.shop.admin)
        assert r.json()["cached"] is False
        assert len(provider_calls.rows) == 2


class TestSettings:
    async def test_owner_sets_the_provider_and_the_key_never_shows(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: AiWorld
    ) -> None:
        r = await client.get("/api/ai/settings", headers=world.shop.owner)
        assert r.status_code == 200, r.text
        assert r.json() == {
            "provider": "local",
            "model": None,
            "base_url": None,
            "openai_available": False,
        }
        body = {"provider": "openai", "model": "llama3", "base_url": "http://llm.local:8080/v1"}
        r = await client.put("/api/ai/settings", json=body, headers=world.shop.admin)
        assert r.status_code == 200, r.text
        assert r.json()["provider"] == "openai"
        assert r.json()["model"] == "llama3"
        assert "key" not in r.text.lower().replace("openai_available", "")
        # No key on the server: normalize falls back to local.
        one = {"product_ids": [str(world.products[0].id)]}
        r = await client.post("/api/ai/normalize", json=one, headers=world.shop.admin)
        assert r.status_code == 200, r.text
        assert r.json()["provider"] == "local"

    async def test_a_key_is_refused_and_only_admins_set_it(
        self, client: httpx.AsyncClient, world: AiWorld
    ) -> None:
        r = await client.put(
            "/api/ai/settings",
            json={"provider": "openai", "api_key": "sk-x"},
            headers=world.shop.owner,
        )
        assert r.status_code == 422, r.text
        for headers in (world.shop.manager, world.shop.cashier):
            assert (await client.get("/api/ai/settings", headers=headers)).status_code == 403
            r = await client.put("/api/ai/settings", json={"provider": "local"}, headers=headers)
            assert r.status_code == 403
