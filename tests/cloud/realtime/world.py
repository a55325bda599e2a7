"""A tenant with two sedes, a caja in each, a manager and the owner, for realtime tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from stocky.cloud.db import SessionMaker
from stocky.cloud.models import Product
from tests.cloud.factories import (
    Caja,
    create_device,
    create_product,
    create_sede,
    create_tenant_with_owner,
    create_user,
    token_for,
)
from tests.cloud.sync.ops import entry_op


@dataclass(frozen=True)
class RealtimeWorld:
    tenant_id: uuid.UUID
    centro: uuid.UUID
    norte: uuid.UUID
    caja: Caja  # at centro
    caja_norte: Caja
    owner: dict[str, str]
    manager: dict[str, str]  # manager of centro
    rice: Product
    manager_id: uuid.UUID


async def build_world(app: FastAPI, sm: SessionMaker, name: str = "Tienda") -> RealtimeWorld:
    owner = await create_tenant_with_owner(sm, name)
    centro = await create_sede(sm, owner.tenant_id, "Centro")
    norte = await create_sede(sm, owner.tenant_id, "Norte")
    manager = await create_user(sm, owner.tenant_id, "manager", centro)
    caja = await create_device(sm, owner.tenant_id, centro)
    caja_norte = await create_device(sm, owner.tenant_id, norte)
    rice = await create_product(sm, owner.tenant_id, name="Arroz 500 g", sku="ARZ-500")
    return RealtimeWorld(
        owner.tenant_id,
        centro,
        norte,
        caja,
        caja_norte,
        token_for(app, owner),
        token_for(app, manager),
        rice,
        manager.user_id,
    )


async def push_entry(
    url: str, caja: Caja, product_id: uuid.UUID, quantity: str = "5"
) -> httpx.Response:
    body = {
        "sede_id": str(caja.sede_id),
        "device_id": str(caja.device_id),
        "operations": [entry_op(product_id, quantity)],
    }
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        response = await http.post("/api/sync/push", json=body, headers=caja.headers)
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["status"] == "applied"
    return response


async def pull(url: str, caja: Caja, cursor: str | None = None) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        response = await http.post(
            "/api/sync/pull",
            json={"sede_id": str(caja.sede_id), "cursor": cursor},
            headers=caja.headers,
        )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body
