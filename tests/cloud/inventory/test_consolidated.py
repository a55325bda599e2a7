"""GET /api/inventory/consolidated: every product's stock at every sede and in total,
cached in Redis and fresh again once a change commits."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from stocky.cloud.db import SessionMaker
from stocky.cloud.redis import create_redis
from tests.cloud.factories import Shop, create_product, create_sede

pytestmark = pytest.mark.asyncio
URL = "/api/inventory/consolidated"


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    # The generation bump runs as a task right after COMMIT, so a read may race it by a tick.
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "never became true"
        await asyncio.sleep(0.02)


async def opening(client: httpx.AsyncClient, shop: Shop, sede: uuid.UUID, **qty: str) -> None:
    lines = [{"sku": sku, "quantity": q} for sku, q in qty.items()]
    r = await client.post(
        f"/api/inventory/{sede}/opening", json={"lines": lines}, headers=shop.owner
    )
    assert r.status_code == 201, r.text


def by_sku(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["sku"]: item for item in body["items"]}


@pytest.fixture
def sm(cloud_app: FastAPI) -> SessionMaker:
    return cloud_app.state.sessionmaker  # type: ignore[no-any-return]


async def test_totals_per_sede_then_cached_then_fresh_after_a_change(
    client: httpx.AsyncClient, shop: Shop, sm: SessionMaker
) -> None:
    norte = await create_sede(sm, shop.tenant_id, "Norte")
    await create_product(sm, shop.tenant_id, sku="ARROZ", name="Arroz")
    await create_product(sm, shop.tenant_id, sku="QUESO", name="Queso", unit="weight")
    await opening(client, shop, shop.sede_id, ARROZ="10", QUESO="2.5")
    await opening(client, shop, norte, ARROZ="4")

    r = await client.get(URL, headers=shop.cashier)  # every role reads the whole tenant
    assert r.status_code == 200, r.text
    body = r.json()
    assert {s["name"] for s in body["sedes"]} == {"Centro", "Norte"}
    arroz = by_sku(body)["ARROZ"]
    assert Decimal(arroz["total"]) == Decimal("14")
    assert {s["sede_id"]: Decimal(s["quantity"]) for s in arroz["sedes"]} == {
        str(shop.sede_id): Decimal("10"),
        str(norte): Decimal("4"),
    }
    assert Decimal(by_sku(body)["QUESO"]["total"]) == Decimal("2.5")
    assert (await client.get(URL, headers=shop.cashier)).headers["X-Cache"] == "hit"

    # A threshold makes Norte's rice low; the cached page must not hide it.
    r = await client.put(
        f"/api/inventory/{norte}/{arroz['product_id']}/thresholds",
        json={"min_stock": "5"},
        headers=shop.owner,
    )
    assert r.status_code == 200, r.text

    async def norte_low() -> bool:
        page = (await client.get(URL, headers=shop.cashier)).json()
        sedes = {s["sede_id"]: s for s in by_sku(page)["ARROZ"]["sedes"]}
        return bool(sedes[str(norte)]["low"])

    await until(norte_low)
    # New stock at a sede: a new total.
    await opening(client, shop, norte, QUESO="1.25")

    async def queso_total() -> bool:
        page = (await client.get(URL, headers=shop.cashier)).json()
        return Decimal(by_sku(page)["QUESO"]["total"]) == Decimal("3.75")

    await until(queso_total)


async def test_a_catalog_edit_refreshes_names(
    client: httpx.AsyncClient, shop: Shop, sm: SessionMaker
) -> None:
    product = await create_product(sm, shop.tenant_id, sku="PAN", name="Pan")
    assert "PAN" in by_sku((await client.get(URL, headers=shop.owner)).json())
    r = await client.patch(
        f"/api/products/{product.id}",
        json={"name": "Pan tajado", "version": product.version},
        headers=shop.owner,
    )
    assert r.status_code == 200, r.text

    async def renamed() -> bool:
        page = (await client.get(URL, headers=shop.owner)).json()
        return by_sku(page)["PAN"]["name"] == "Pan tajado"

    await until(renamed)


async def test_pages_search_and_tenants(
    client: httpx.AsyncClient, shop: Shop, other_shop: Shop, sm: SessionMaker
) -> None:
    for i in range(5):
        await create_product(sm, shop.tenant_id, sku=f"P{i}", name=f"Producto {i}")
    await create_product(sm, other_shop.tenant_id, sku="AJENO", name="Producto ajeno")
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        body = (await client.get(URL, params=params, headers=shop.owner)).json()
        seen += [i["sku"] for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"P{i}" for i in range(5)]
    found = (await client.get(URL, params={"q": "ajeno"}, headers=shop.owner)).json()
    assert found["items"] == []
    other = (await client.get(URL, headers=other_shop.owner)).json()
    assert [i["sku"] for i in other["items"]] == ["AJENO"]
    assert [s["name"] for s in other["sedes"]] == ["Centro"]


async def test_bad_input_names_the_field(client: httpx.AsyncClient, shop: Shop) -> None:
    r = await client.get(URL, params={"cursor": "nope"}, headers=shop.owner)
    assert r.status_code == 422
    assert r.json()["fields"][0]["field"] == "cursor"
    r = await client.get(URL, params={"limit": "100000"}, headers=shop.owner)
    assert r.status_code == 422
    assert (await client.get(URL)).status_code == 401


async def test_redis_down_costs_the_cache_not_the_answer(
    client: httpx.AsyncClient, cloud_app: FastAPI, shop: Shop, sm: SessionMaker
) -> None:
    await create_product(sm, shop.tenant_id, sku="SAL", name="Sal")
    working = cloud_app.state.redis
    # A real client to a port where nothing listens: every command fails to connect.
    cloud_app.state.redis = create_redis("redis://127.0.0.1:1/0")
    try:
        r = await client.get(URL, headers=shop.owner)
        assert r.status_code == 200, r.text
        assert r.headers["X-Cache"] == "miss"
        assert "SAL" in by_sku(r.json())
    finally:
        await cloud_app.state.redis.aclose()
        cloud_app.state.redis = working
