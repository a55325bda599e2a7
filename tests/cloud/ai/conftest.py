"""A shop whose catalog is typed several ways, with a caja to pull it; the normalizer's
jobs run to completion on demand (a burst worker), so no test waits on a clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from stocky.cloud.ai.jobs import QUEUE
from stocky.cloud.ai.provider import LocalProvider
from stocky.cloud.models import Product
from tests.cloud.factories import Caja, Shop, create_device, create_product, create_shop

NAMES = [
    "Cafe Nescafe Tradicion 170g",
    "  Cafe  Nescafe Tradicion 170 grs",
    "Cafe Nescafe Tradicion 50g",
    "Arroz Diana 500 g",
    "ARROZ DIANA 500GR",
    "Leche Alqueria Entera 1 lt",
    "Aceite Premier 1000 ml",
]


@dataclass(frozen=True)
class AiWorld:
    shop: Shop
    caja: Caja
    products: list[Product]


@pytest_asyncio.fixture
async def world(cloud_app: FastAPI) -> AiWorld:
    shop = await create_shop(cloud_app)
    sm = cloud_app.state.sessionmaker
    caja = await create_device(sm, shop.tenant_id, shop.sede_id)
    products = [
        await create_product(
            sm, shop.tenant_id, name=name, category="Granos y Abarrotes" if i in (3, 4) else None
        )
        for i, name in enumerate(NAMES)
    ]
    return AiWorld(shop, caja, products)


@dataclass
class Calls:
    rows: list[int] = field(default_factory=list)


@pytest.fixture
def provider_calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    """Counts the local provider's runs (and how many rows each was given)."""
    calls = Calls()
    original = LocalProvider.normalize

    def counting(self: LocalProvider, rows: Any) -> Any:
        calls.rows.append(len(rows))
        return original(self, rows)

    monkeypatch.setattr(LocalProvider, "normalize", counting)
    return calls


async def run_jobs(app: FastAPI) -> None:
    """Run every queued normalizer job, then return (procrastinate's burst mode)."""
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


def fields(r: httpx.Response) -> list[str]:
    return [f["field"] for f in r.json().get("fields") or []]
