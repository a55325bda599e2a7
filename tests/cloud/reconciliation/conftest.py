"""A shop with two sedes, a caja at the first, two products; and the reconciliation jobs
run to completion on demand (a burst worker), so no test waits on a clock."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest_asyncio
from fastapi import FastAPI

from stocky.cloud.models import Product
from stocky.cloud.reconciliation.jobs import QUEUE
from stocky.core.ids import new_id
from tests.cloud.factories import (
    Caja,
    Shop,
    create_device,
    create_product,
    create_sede,
    create_shop,
    create_user,
    token_for,
)


@dataclass(frozen=True)
class ReconWorld:
    shop: Shop
    caja: Caja
    rice: Product
    cheese: Product
    norte: uuid.UUID
    manager_norte: dict[str, str]


@pytest_asyncio.fixture
async def world(cloud_app: FastAPI) -> ReconWorld:
    shop = await create_shop(cloud_app)
    sm = cloud_app.state.sessionmaker
    caja = await create_device(sm, shop.tenant_id, shop.sede_id)
    rice = await create_product(sm, shop.tenant_id, name="Arroz 500 g", sku="ARZ-500")
    cheese = await create_product(
        sm, shop.tenant_id, name="Queso campesino", sku="QSO-KG", unit="weight"
    )
    norte = await create_sede(sm, shop.tenant_id, "Norte")
    manager_norte = token_for(cloud_app, await create_user(sm, shop.tenant_id, "manager", norte))
    return ReconWorld(shop, caja, rice, cheese, norte, manager_norte)


async def run_jobs(app: FastAPI) -> None:
    """Run every queued reconciliation job, then return (procrastinate's burst mode)."""
    jobs = app.state.jobs
    async with jobs.open_async():
        await jobs.run_worker_async(
            queues=[QUEUE],
            wait=False,
            install_signal_handlers=False,
            listen_notify=False,
            additional_context={"app": app},
            delete_jobs="successful",
        )


async def push(client: httpx.AsyncClient, caja: Caja, ops: list[dict[str, Any]]) -> list[Any]:
    body = {"sede_id": str(caja.sede_id), "device_id": str(caja.device_id), "operations": ops}
    r = await client.post("/api/sync/push", json=body, headers=caja.headers)
    assert r.status_code == 200, r.text
    results: list[Any] = r.json()["results"]
    return results


async def findings(
    client: httpx.AsyncClient, headers: dict[str, str], **params: str
) -> list[dict[str, Any]]:
    r = await client.get("/api/reconciliation", params=params, headers=headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def shift_open_op(shift_id: str) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    return {
        "op_id": str(new_id()),
        "kind": "shift.open",
        "entity_id": shift_id,
        "client_ts": now,
        "payload": {
            "id": shift_id,
            "user_id": str(uuid.uuid4()),
            "opened_at": now,
            "opening_float": "100000.00",
        },
    }


def shift_close_op(shift_id: str, *, sales: int, total: str) -> dict[str, Any]:
    """The close with a Z report as a caja writes it: `sales` cash sales adding to `total`."""
    zero = "0.00"
    report = {
        "shift_id": shift_id,
        "sales_count": sales,
        "subtotal": total,
        "discount": zero,
        "tax": zero,
        "total": total,
        "payments": {"cash": total, "card": zero, "transfer": zero},
        "change": zero,
        "cash_in": total,
        "returns_count": 0,
        "refunds": {"cash": zero, "card": zero, "transfer": zero},
        "refunds_total": zero,
        "net": total,
        "paid_in": zero,
        "paid_out": zero,
        "counted_cash": "100000.00",
        "expected_cash": "100000.00",
    }
    return {
        "op_id": str(new_id()),
        "kind": "shift.close",
        "entity_id": shift_id,
        "client_ts": datetime.now(UTC).isoformat(),
        "payload": {"id": shift_id, "z_report": report},
    }
