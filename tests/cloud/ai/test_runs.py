"""Catalog runs and their review: a run's job to done with its suggestions stored, accepting a
rename (a new product version the cajas pull), an edited accept, reject, bulk, a stale
suggestion's 409, a merge through merge_products, and another tenant seeing none of it."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from stocky.cloud.ai.jobs import run_catalog
from stocky.cloud.ai.provider import LocalProvider
from tests.cloud.ai.conftest import AiWorld, fields, run_jobs
from tests.cloud.factories import create_shop

pytestmark = pytest.mark.asyncio


async def _done_run(client: httpx.AsyncClient, app: FastAPI, world: AiWorld) -> dict[str, Any]:
    r = await client.post("/api/ai/runs", headers=world.shop.manager)
    assert r.status_code == 202, r.text
    run = r.json()
    assert run["status"] == "queued"
    await run_jobs(app)
    r = await client.get(f"/api/ai/runs/{run['id']}", headers=world.shop.manager)
    assert r.status_code == 200, r.text
    done: dict[str, Any] = r.json()
    return done


async def _suggestions(
    client: httpx.AsyncClient, headers: dict[str, str], run_id: str, **params: str
) -> list[dict[str, Any]]:
    r = await client.get(f"/api/ai/runs/{run_id}/suggestions", params=params, headers=headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def _rename_of(items: list[dict[str, Any]], product_id: object) -> dict[str, Any]:
    (found,) = [s for s in items if s["kind"] == "rename" and s["product_ids"] == [str(product_id)]]
    return found


async def _pull_products(client: httpx.AsyncClient, world: AiWorld) -> dict[str, Any]:
    body = {"sede_id": str(world.caja.sede_id), "limit": 500}
    r = await client.post("/api/sync/pull", json=body, headers=world.caja.headers)
    assert r.status_code == 200, r.text
    return {c["entity_id"]: c["data"] for c in r.json()["changes"] if c["entity"] == "products"}


class TestRun:
    async def test_a_run_goes_to_done_with_its_suggestions_stored(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: AiWorld
    ) -> None:
        cloud_app.state.settings.ai_batch_size = 3  # three batches of progress
        run = await _done_run(client, cloud_app, world)
        total = len(world.products)
        assert (run["status"], run["processed"], run["total"]) == ("done", total, total)
        assert run["finished_at"] is not None
        r = await client.get("/api/ai/runs", headers=world.shop.manager)
        assert [x["id"] for x in r.json()] == [run["id"]]
        items = await _suggestions(client, world.shop.manager, run["id"])
        assert run["suggestions"] == len(items)
        assert all(s["status"] == "pending" for s in items)
        spaced = _rename_of(items, world.products[1].id)
        assert spaced["proposed"]["name"] != world.products[1].name
        assert spaced["proposed"]["before"]["name"] == world.products[1].name
        assert spaced["proposed"]["brand"] == "Nescafé"
        assert spaced["versions"] == {str(world.products[1].id): 1}
        merges = await _suggestions(client, world.shop.manager, run["id"], kind="merge")
        groups = [sorted(m["product_ids"]) for m in merges]
        assert sorted([str(world.products[0].id), str(world.products[1].id)]) in groups
        assert not any(str(world.products[2].id) in g for g in groups), "50 g is not 170 g"
        # Paging by cursor gives every suggestion once.
        r = await client.get(
            f"/api/ai/runs/{run['id']}/suggestions", params={"limit": 2}, headers=world.shop.admin
        )
        page = r.json()
        seen = [s["id"] for s in page["items"]]
        while page["next_cursor"]:
            r = await client.get(
                f"/api/ai/runs/{run['id']}/suggestions",
                params={"limit": 2, "cursor": page["next_cursor"]},
                headers=world.shop.admin,
            )
            page = r.json()
            seen += [s["id"] for s in page["items"]]
        assert sorted(seen) == sorted(s["id"] for s in items)

    async def test_a_run_whose_provider_fails_is_failed_with_the_reason(
        self,
        client: httpx.AsyncClient,
        cloud_app: FastAPI,
        world: AiWorld,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        def broken(self: LocalProvider, rows: Any) -> Any:
            raise RuntimeError("reglas rotas")

        monkeypatch.setattr(LocalProvider, "normalize", broken)
        run = await _done_run(client, cloud_app, world)
        assert run["status"] == "failed"
        assert run["error"] == "RuntimeError: reglas rotas"
        assert await _suggestions(client, world.shop.admin, run["id"]) == []

    async def test_a_finished_run_run_again_is_left_as_it_is(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: AiWorld
    ) -> None:
        run = await _done_run(client, cloud_app, world)
        before = await _suggestions(client, world.shop.admin, run["id"])
        again = await run_catalog(cloud_app, world.shop.tenant_id, uuid.UUID(run["id"]))
        assert again == "skipped"
        assert await _suggestions(client, world.shop.admin, run["id"]) == before

    async def test_a_cashier_neither_starts_nor_reads_runs(
        self, client: httpx.AsyncClient, world: AiWorld
    ) -> None:
        assert (await client.post("/api/ai/runs", headers=world.shop.cashier)).status_code == 403
        some = uuid.uuid4()
        for path in (f"/api/ai/runs/{some}", f"/api/ai/runs/{some}/suggestions"):
            assert (await client.get(path, headers=world.shop.cashier)).status_code == 403


class TestReview:
    async def test_accepting_a_rename_makes_a_version_the_cajas_pull(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: AiWorld
    ) -> None:
        run = await _done_run(client, cloud_app, world)
        product = world.products[1]
        suggestion = _rename_of(await _suggestions(client, world.shop.admin, run["id"]), product.id)
        before = await _pull_products(client, world)
        assert before[str(product.id)]["version"] == 1
        r = await client.post(
            f"/api/ai/suggestions/{suggestion['id']}/accept", headers=world.shop.manager
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "accepted"
        r = await client.get(f"/api/products/{product.id}", headers=world.shop.admin)
        assert r.json()["version"] == 2
        assert r.json()["name"] == suggestion["proposed"]["name"]
        pulled = (await _pull_products(client, world))[str(product.id)]
        assert (pulled["version"], pulled["name"]) == (2, suggestion["proposed"]["name"])
        # Audited like any catalog edit: the versioned update's statement, by this request.
        r = await client.get(
            "/api/audit-logs", params={"entity_type": "products"}, headers=world.shop.owner
        )
        assert r.status_code == 200, r.text
        accept_path = f"/api/ai/suggestions/{suggestion['id']}/accept"
        (entry,) = [e for e in r.json()["items"] if e["metadata"].get("path") == accept_path]
        assert suggestion["proposed"]["name"] in str(entry["after_data"])
        assert entry["user_id"] is not None
        again = await client.post(
            f"/api/ai/suggestions/{suggestion['id']}/accept", headers=world.shop.manager
        )
        assert again.status_code == 409, again.text

    async def test_an_edited_accept_applies_the_edit(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: AiWorld
    ) -> None:
        run = await _done_run(client, cloud_app, world)
        product = world.products[4]
        suggestion = _rename_of(await _suggestions(client, world.shop.admin, run["id"]), product.id)
        body = {"name": "Arroz Blanco Diana 500 g", "category": "Granos y Abarrotes"}
        r = await client.post(
            f"/api/ai/suggestions/{suggestion['id']}/accept", json=body, headers=world.shop.admin
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "edited"
        assert r.json()["applied"] == body
        r = await client.get(f"/api/products/{product.id}", headers=world.shop.admin)
        assert (r.json()["name"], r.json()["version"]) == ("Arroz Blanco Diana 500 g", 2)

    async def test_reject_changes_nothing(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: AiWorld
    ) -> None:
        run = await _done_run(client, cloud_app, world)
        product = world.products[1]
        suggestion = _rename_of(await _suggestions(client, world.shop.admin, run["id"]), product.id)
        url = f"/api/ai/suggestions/{suggestion['id']}"
        assert (await client.post(f"{url}/reject", headers=world.shop.cashier)).status_code == 403
        r = await client.post(f"{url}/reject", headers=world.shop.admin)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "rejected"
        r = await client.get(f"/api/products/{product.id}", headers=world.shop.admin)
        assert (r.json()["name"], r.json()["version"]) == (product.name, 1)
        rejected = await _suggestions(client, world.shop.admin, run["id"], status="rejected")
        assert [s["id"] for s in rejected] == [suggestion["id"]]
        assert (await client.post(f"{url}/accept", headers=world.shop.admin)).status_code == 409

    async def test_a_product_changed_since_makes_it_stale(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: AiWorld
    ) -> None:
        run = await _done_run(client, cloud_app, world)
        product = world.products[1]
        suggestion = _rename_of(await _suggestions(client, world.shop.admin, run["id"]), product.id)
        r = await client.patch(
            f"/api/products/{product.id}",
            json={"version": 1, "price": "9900.00"},
            headers=world.shop.manager,
        )
        assert r.status_code == 200, r.text
        r = await client.post(
            f"/api/ai/suggestions/{suggestion['id']}/accept", headers=world.shop.admin
        )
        assert r.status_code == 409, r.text
        assert suggestion["id"] in r.json()["message"]
        assert r.json()["suggestion_id"] == suggestion["id"]
        (still,) = [
            s
            for s in await _suggestions(client, world.shop.admin, run["id"])
            if s["id"] == suggestion["id"]
        ]
        assert still["status"] == "pending"

    async def test_bulk_reports_each_and_applies_the_fresh_ones(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: AiWorld
    ) -> None:
        run = await _done_run(client, cloud_app, world)
        items = await _suggestions(client, world.shop.admin, run["id"], kind="rename")
        first, stale = (
            _rename_of(items, world.products[1].id),
            _rename_of(items, world.products[4].id),
        )
        r = await client.patch(
            f"/api/products/{world.products[4].id}",
            json={"version": 1, "price": "1.00"},
            headers=world.shop.admin,
        )
        assert r.status_code == 200, r.text
        body = {"ids": [first["id"], stale["id"]], "action": "accept"}
        r = await client.post("/api/ai/suggestions/bulk", json=body, headers=world.shop.admin)
        assert r.status_code == 200, r.text
        outcome = {i["id"]: i for i in r.json()["items"]}
        assert outcome[first["id"]]["status"] == "accepted"
        assert outcome[stale["id"]]["status"] is None
        assert outcome[stale["id"]]["error"] == "conflict"
        r = await client.get(f"/api/products/{world.products[1].id}", headers=world.shop.admin)
        assert r.json()["version"] == 2
        body = {"ids": [stale["id"]], "action": "reject"}
        r = await client.post("/api/ai/suggestions/bulk", json=body, headers=world.shop.admin)
        assert r.json()["items"][0]["status"] == "rejected"
        r = await client.post(
            "/api/ai/suggestions/bulk",
            json={"ids": [], "action": "accept"},
            headers=world.shop.admin,
        )
        assert r.status_code == 422
        assert "ids" in str(fields(r)) or "ids" in r.json()["message"]

    async def test_accepting_a_merge_keeps_the_survivor(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: AiWorld
    ) -> None:
        run = await _done_run(client, cloud_app, world)
        coffee = sorted([str(world.products[0].id), str(world.products[1].id)])
        (merge,) = [
            m
            for m in await _suggestions(client, world.shop.admin, run["id"], kind="merge")
            if sorted(m["product_ids"]) == coffee
        ]
        outsider = str(world.products[2].id)
        url = f"/api/ai/suggestions/{merge['id']}/accept"
        r = await client.post(url, json={"survivor_id": outsider}, headers=world.shop.admin)
        assert r.status_code == 422, r.text
        assert fields(r) == ["survivor_id"]
        r = await client.post(url, headers=world.shop.admin)
        assert r.status_code == 200, r.text
        survivor, merged = merge["proposed"]["survivor_id"], merge["proposed"]["merged_ids"]
        assert r.json()["applied"]["survivor_id"] == survivor
        r = await client.get(f"/api/products/{merged[0]}", headers=world.shop.admin)
        assert r.json()["active"] is False
        r = await client.get(f"/api/products/{survivor}", headers=world.shop.admin)
        assert r.json()["active"] is True


class TestIsolation:
    async def test_another_tenant_sees_and_touches_nothing(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: AiWorld
    ) -> None:
        run = await _done_run(client, cloud_app, world)
        (some, *_) = await _suggestions(client, world.shop.admin, run["id"])
        other = await create_shop(cloud_app, "Otra")
        assert (
            await client.get(f"/api/ai/runs/{run['id']}", headers=other.owner)
        ).status_code == 404
        assert (await client.get("/api/ai/runs", headers=other.owner)).json() == []
        assert (
            await client.get(f"/api/ai/runs/{run['id']}/suggestions", headers=other.owner)
        ).status_code == 404
        for action in ("accept", "reject"):
            r = await client.post(f"/api/ai/suggestions/{some['id']}/{action}", headers=other.owner)
            assert r.status_code == 404, r.text
        r = await client.post(
            "/api/ai/suggestions/bulk",
            json={"ids": [some["id"]], "action": "accept"},
            headers=other.owner,
        )
        assert r.json()["items"][0]["error"] == "not_found"
        (still,) = [
            s
            for s in await _suggestions(client, world.shop.admin, run["id"])
            if s["id"] == some["id"]
        ]
        assert still["status"] == "pending"
