"""The FastAPI app factory: settings and services in, a ready app out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from stocky.cloud.config import Settings
from stocky.cloud.db import create_app_engine, make_sessionmaker
from stocky.cloud.errors import install_error_handlers
from stocky.cloud.health.router import router as health_router
from stocky.cloud.limits import BodyLimitMiddleware
from stocky.cloud.redis import create_redis
from stocky.cloud.services import Services


def create_app(settings: Settings, services: Services) -> FastAPI:
    """Build the API on already-running services (the caller owns their lifecycle)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_app_engine(services.app_database_url, settings)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        app.state.redis = create_redis(services.redis_url)
        try:
            yield
        finally:
            await app.state.redis.aclose()
            await engine.dispose()

    app = FastAPI(
        title="Stocky cloud API",
        version="0.1.0",
        lifespan=lifespan,
        description="Multi-tenant source of truth for Stocky's stores and cajas.",
    )
    app.state.settings = settings
    app.state.services = services
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.include_router(health_router)
    return app
