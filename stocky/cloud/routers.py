"""Every feature's router, mounted by the app factory (one line per feature)."""

from __future__ import annotations

from fastapi import APIRouter

from stocky.cloud.catalog.router import router as catalog_router
from stocky.cloud.health.router import router as health_router
from stocky.cloud.inventory.router import router as inventory_router
from stocky.cloud.transactions.router import router as transactions_router

ROUTERS: list[APIRouter] = [
    health_router,
    catalog_router,
    inventory_router,
    transactions_router,
]
