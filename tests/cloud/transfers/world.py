"""Two sedes of one tenant, each with a caja that pings, and stock at the origin."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from decimal import Decimal

import httpx
from fastapi import FastAPI

from stocky.cloud.db import SessionMaker
from tests.cloud.factories import (
    Caja,
    create_device,
    create_product,
    create_sede,
    create_tenant_with_owner,
    create_user,
    token_for,
)


@dataclass
class TransferWorld:
    tenant_id: uuid.UUID
    centro: uuid.UUID  # the origin in most tests
    norte: uuid.UUID
    owner: dict[str, str]
    manager_centro: dict[str, str]
    manager_norte: dict[str, str]
    cashier_norte: dict[str, str]
    manager_centro_id: uuid.UUID
    caja_centro: Caja
    caja_norte: Caja
    products: list[uuid.UUID]


async def build_world(
    app: FastAPI, client: httpx.AsyncClient, *, products: int = 3
) -> TransferWorld:
    sm: SessionMaker = app.state.sessionmaker
    owner = await create_tenant_with_owner(sm, "Tienda Traslados")
    centro = await create_sede(sm, owner.tenant_id, "Centro")
    norte = await create_sede(sm, owner.tenant_id, "Norte")
    manager_centro = await create_user(sm, owner.tenant_id, "manager", centro)
    manager_norte = await create_user(sm, owner.tenant_id, "manager", norte)
    cashier_norte = await create_user(sm, owner.tenant_id, "cashier", norte)
    ids = [
        # The second one is weighed: transfers move exact fractions of it.
        (
            await create_product(
                sm,
                owner.tenant_id,
                sku=f"P{i:03d}",
                name=f"Producto {i}",
                unit="weight" if i == 1 else "unit",
            )
        ).id
        for i in range(products)
    ]
    world = TransferWorld(
        tenant_id=owner.tenant_id,
        centro=centro,
        norte=norte,
        owner=token_for(app, owner),
        manager_centro=token_for(app, manager_centro),
        manager_norte=token_for(app, manager_norte),
        cashier_norte=token_for(app, cashier_norte),
        manager_centro_id=manager_centro.user_id,
        caja_centro=await create_device(sm, owner.tenant_id, centro),
        caja_norte=await create_device(sm, owner.tenant_id, norte),
        products=ids,
    )
    await ping_both(client, world)
    return world


async def ping_both(client: httpx.AsyncClient, world: TransferWorld) -> None:
    for caja in (world.caja_centro, world.caja_norte):
        r = await client.post("/api/sync/ping", json={}, headers=caja.headers)
        assert r.status_code == 200, r.text


async def stock_in(
    client: httpx.AsyncClient,
    world: TransferWorld,
    sede: uuid.UUID,
    quantities: dict[uuid.UUID, str],
) -> None:
    lines = [{"product_id": str(p), "quantity": q} for p, q in quantities.items()]
    r = await client.post(
        f"/api/inventory/{sede}/opening", json={"lines": lines}, headers=world.owner
    )
    assert r.status_code == 201, r.text


async def quantity(
    client: httpx.AsyncClient, world: TransferWorld, sede: uuid.UUID, product: uuid.UUID
) -> Decimal:
    r = await client.get(f"/api/inventory?sede_id={sede}&limit=200", headers=world.owner)
    assert r.status_code == 200, r.text
    for item in r.json()["items"]:
        if item["product_id"] == str(product):
            return Decimal(item["quantity"])
    raise AssertionError(f"product {product} not in the inventory of {sede}")


async def request(
    client: httpx.AsyncClient,
    world: TransferWorld,
    lines: dict[uuid.UUID, str],
    *,
    origin: uuid.UUID | None = None,
    destination: uuid.UUID | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body = {
        "from_sede_id": str(origin or world.centro),
        "to_sede_id": str(destination or world.norte),
        "lines": [{"product_id": str(p), "quantity": q} for p, q in lines.items()],
        "note": "reposición",
    }
    return await client.post("/api/transfers/request", json=body, headers=headers or world.owner)


async def wait_status(
    client: httpx.AsyncClient,
    world: TransferWorld,
    transfer_id: str,
    statuses: tuple[str, ...] = ("completed", "failed"),
    timeout: float = 60.0,
) -> dict[str, object]:
    """Poll the transfer until its job has finished (the worker runs it asynchronously)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        r = await client.get(f"/api/transfers/{transfer_id}", headers=world.owner)
        assert r.status_code == 200, r.text
        body: dict[str, object] = r.json()
        if body["status"] in statuses:
            return body
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"transfer still {body['status']} after {timeout} s")
        await asyncio.sleep(0.1)
