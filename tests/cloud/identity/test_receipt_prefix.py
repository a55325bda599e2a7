"""Receipt prefixes: each caja gets a per-tenant number at activation (C01, C02, ...), told
again in every ping answer, and a sale's prefix lands in the cloud's sales (issue 12.6)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from stocky.cloud.db import tenant_transaction
from stocky.cloud.models import Device, Sale
from tests.cloud.factories import create_device
from tests.cloud.identity.helpers import bearer, create_sede, issue_code, signup
from tests.cloud.sync.conftest import SyncWorld, world
from tests.cloud.sync.ops import push_body, sale_op

__all__ = ["world"]

pytestmark = pytest.mark.asyncio


async def _activate(client: httpx.AsyncClient, code: str) -> dict[str, object]:
    r = await client.post("/api/activate", json={"code": code, "device_name": "Caja"})
    assert r.status_code == 200, r.text
    device: dict[str, object] = r.json()["device"]
    device["credential"] = r.json()["device_credential"]
    return device


class TestCajaNumbers:
    async def test_numbered_per_tenant_across_sedes(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        norte = await create_sede(client, t.owner_token, "Norte")
        sur = await create_sede(client, t.owner_token, "Sur")
        first = await _activate(client, await issue_code(client, t.owner_token, norte))
        second = await _activate(client, await issue_code(client, t.owner_token, sur))
        assert (first["caja_number"], first["receipt_prefix"]) == (1, "C01")
        assert (second["caja_number"], second["receipt_prefix"]) == (2, "C02")
        # Another business counts from 1 again.
        other = await signup(client, "Tienda Dos")
        sede = await create_sede(client, other.owner_token)
        assert (await _activate(client, await issue_code(client, other.owner_token, sede)))[
            "receipt_prefix"
        ] == "C01"
        r = await client.get("/api/devices/me", headers=bearer(str(second["credential"])))
        assert r.json()["receipt_prefix"] == "C02"

    async def test_concurrent_activations_get_distinct_numbers(
        self, client: httpx.AsyncClient
    ) -> None:
        t = await signup(client)
        sede = await create_sede(client, t.owner_token)
        codes = [await issue_code(client, t.owner_token, sede) for _ in range(6)]
        devices = await asyncio.gather(*(_activate(client, c) for c in codes))
        assert sorted(d["caja_number"] for d in devices) == [1, 2, 3, 4, 5, 6]

    async def test_ping_tells_the_caja_its_prefix(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        sede = await create_sede(client, t.owner_token)
        device = await _activate(client, await issue_code(client, t.owner_token, sede))
        r = await client.post("/api/sync/ping", json={}, headers=bearer(str(device["credential"])))
        assert r.status_code == 200, r.text
        assert r.json()["receipt_prefix"] == "C01"

    async def test_any_insert_path_gets_the_next_number(
        self, cloud_app: FastAPI, world: SyncWorld
    ) -> None:
        sm = cloud_app.state.sessionmaker
        more = await create_device(sm, world.shop.tenant_id, world.shop.sede_id)
        async with tenant_transaction(sm, world.shop.tenant_id) as s:
            numbers = {r[0]: r[1] for r in await s.execute(select(Device.id, Device.caja_number))}
        assert numbers[world.caja.device_id] + 1 == numbers[more.device_id]


class TestSalePrefixInTheCloud:
    async def test_the_prefix_printed_lands_with_the_sale(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: SyncWorld
    ) -> None:
        printed = sale_op([(world.rice.id, "1", "2500.00")], number=7)
        printed["payload"]["sale"]["receipt_prefix"] = "C01"
        old = sale_op([(world.rice.id, "1", "2500.00")], number=6)  # a caja without one
        r = await client.post(
            "/api/sync/push",
            json=push_body(world, [old, printed]),
            headers=world.caja.headers,
        )
        assert [x["status"] for x in r.json()["results"]] == ["applied", "applied"], r.text
        async with tenant_transaction(cloud_app.state.sessionmaker, world.shop.tenant_id) as s:
            rows = [tuple(r) for r in await s.execute(select(Sale.number, Sale.receipt_prefix))]
        assert sorted(rows) == [(6, None), (7, "C01")]
