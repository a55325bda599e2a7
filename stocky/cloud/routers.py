"""Every feature's router, mounted by the app factory (one line per feature)."""

from __future__ import annotations

from fastapi import APIRouter

from stocky.cloud.health.router import router as health_router

ROUTERS: list[APIRouter] = [
    health_router,
]
