"""A shop with a caja and two products, ready to push and pull."""

from __future__ import annotations

from dataclasses import dataclass

import pytest_asyncio
from fastapi import FastAPI

from stocky.cloud.models import Product
from tests.cloud.factories import Caja, Shop, create_device, create_product, create_shop


@dataclass(frozen=True)
class SyncWorld:
    shop: Shop
    caja: Caja
    rice: Product
    cheese: Product


@pytest_asyncio.fixture
async def world(cloud_app: FastAPI) -> SyncWorld:
    shop = await create_shop(cloud_app)
    sm = cloud_app.state.sessionmaker
    caja = await create_device(sm, shop.tenant_id, shop.sede_id)
    rice = await create_product(sm, shop.tenant_id, name="Arroz 500 g", sku="ARZ-500")
    cheese = await create_product(
        sm, shop.tenant_id, name="Queso campesino", sku="QSO-KG", unit="weight"
    )
    return SyncWorld(shop, caja, rice, cheese)
