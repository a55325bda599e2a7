"""GET /api/sales/lookup: a sale of the caller's sede by its printed receipt number, with
its payments, its lines and what was returned of each; nothing of another sede or tenant."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.cloud.factories import create_device, create_sede, create_shop, create_user, token_for
from tests.cloud.sync.conftest import SyncWorld, world
from tests.cloud.sync.ops import push_body, return_op, sale_op

pytestmark = pytest.mark.asyncio
__all__ = ["world"]  # the fixture, shared with tests/cloud/sync
URL = "/api/sales/lookup"


async def push(client: httpx.AsyncClient, world: SyncWorld, ops: list[dict[str, Any]]) -> None:
    r = await client.post("/api/sync/push", json=push_body(world, ops), headers=world.caja.headers)
    assert r.status_code == 200, r.text
    assert {x["status"] for x in r.json()["results"]} == {"applied"}


async def sold(client: httpx.AsyncClient, world: SyncWorld, number: int = 42) -> dict[str, Any]:
    op = sale_op(
        [(world.rice.id, "3", "2500.00"), (world.cheese.id, "0.5", "30000.00")], number=number
    )
    op["payload"]["sale"]["receipt_prefix"] = "C01"
    await push(client, world, [op])
    return op


class TestLookup:
    async def test_a_device_finds_its_sedes_sale_with_lines_and_returns(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: SyncWorld
    ) -> None:
        sale = await sold(client, world)
        await push(client, world, [return_op(sale, [(0, "1")])])
        other_caja = await create_device(
            cloud_app.state.sessionmaker, world.shop.tenant_id, world.shop.sede_id
        )
        r = await client.get(URL, params={"receipt": "c01-42"}, headers=other_caja.headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["id"] == sale["payload"]["document_id"]
        assert (body["receipt"], body["device_id"]) == ("C01-000042", str(world.caja.device_id))
        assert Decimal(body["total"]) == Decimal("22500.00")
        assert [(p["method"], Decimal(p["amount"])) for p in body["payments"]] == [
            ("cash", Decimal("22500.00"))
        ]
        lines = {line["product_name"]: line for line in body["lines"]}
        rice = lines["Arroz 500 g"]
        assert rice["id"] == sale["payload"]["movements"][0]["id"]
        assert (Decimal(rice["quantity"]), Decimal(rice["returned"])) == (3, 1)
        assert Decimal(rice["unit_price"]) == Decimal("2500.00")
        assert rice["product_version"] == 1
        assert Decimal(lines["Queso campesino"]["returned"]) == 0
        assert [(m["ref_id"], Decimal(m["quantity"])) for m in body["returns"]] == [
            (rice["id"], Decimal(1))
        ]

    async def test_a_user_of_the_sede_finds_it(
        self, client: httpx.AsyncClient, world: SyncWorld
    ) -> None:
        await sold(client, world)
        r = await client.get(URL, params={"receipt": "C01-000042"}, headers=world.shop.cashier)
        assert r.status_code == 200, r.text

    async def test_another_sede_answers_404(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: SyncWorld
    ) -> None:
        await sold(client, world)
        sm = cloud_app.state.sessionmaker
        norte = await create_sede(sm, world.shop.tenant_id, "Norte")
        caja_norte = await create_device(sm, world.shop.tenant_id, norte)
        r = await client.get(URL, params={"receipt": "C01-000042"}, headers=caja_norte.headers)
        assert r.status_code == 404, r.text
        cashier = await create_user(sm, world.shop.tenant_id, "cashier", norte)
        r = await client.get(
            URL, params={"receipt": "C01-000042"}, headers=token_for(cloud_app, cashier)
        )
        assert r.status_code == 404, r.text
        assert r.json()["error"] == "not_found"

    async def test_another_tenant_answers_404(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: SyncWorld
    ) -> None:
        await sold(client, world)
        other = await create_shop(cloud_app, "Otra")
        caja = await create_device(cloud_app.state.sessionmaker, other.tenant_id, other.sede_id)
        for headers in (caja.headers, other.owner):
            r = await client.get(URL, params={"receipt": "C01-000042"}, headers=headers)
            assert r.status_code == 404, r.text

    async def test_no_credential_401(self, client: httpx.AsyncClient, world: SyncWorld) -> None:
        await sold(client, world)
        r = await client.get(URL, params={"receipt": "C01-000042"})
        assert r.status_code == 401, r.text
        r = await client.get(
            URL, params={"receipt": "C01-000042"}, headers={"Authorization": "Bearer nope"}
        )
        assert r.status_code == 401, r.text

    @pytest.mark.parametrize("receipt", ["42", "C01000042", "C01-", "-42", "C01-x"])
    async def test_malformed_receipt_422(
        self, client: httpx.AsyncClient, world: SyncWorld, receipt: str
    ) -> None:
        r = await client.get(URL, params={"receipt": receipt}, headers=world.caja.headers)
        assert r.status_code == 422, r.text
        assert r.json()["fields"][0]["field"] == "receipt"

    async def test_documented_in_openapi(self, client: httpx.AsyncClient) -> None:
        spec = (await client.get("/openapi.json")).json()
        responses = spec["paths"][URL]["get"]["responses"]
        assert {"200", "401", "404", "422"} <= set(responses)
