"""The FastAPI app factory: settings and services in, a ready app out."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from stocky.cloud.auth.keys import KeyRing
from stocky.cloud.config import Settings
from stocky.cloud.db import create_app_engine, make_sessionmaker
from stocky.cloud.embedded import Services
from stocky.cloud.errors import install_error_handlers, refuse_nul
from stocky.cloud.jobs.app import build_jobs_app
from stocky.cloud.jobs.runner import InProcessWorker
from stocky.cloud.observability import metrics as observed
from stocky.cloud.observability.pool import unwatch_pool, watch_pool
from stocky.cloud.observability.router import install as install_observability
from stocky.cloud.realtime.notices import change_notices
from stocky.cloud.realtime.presence import PresenceMonitor
from stocky.cloud.realtime.server import Gateway, SocketIOMiddleware
from stocky.cloud.redis import create_redis
from stocky.cloud.routers import ROUTERS
from stocky.cloud.storage import router as media
from stocky.cloud.storage.factory import build_storage
from stocky.cloud.tasks import TASKS
from stocky.core.errors import document_errors
from stocky.core.limits import BodyLimitMiddleware

# Operations that take their credential in the body rather than a bearer token, so their
# refusals cannot be inferred from the OpenAPI security of the route.
CREDENTIAL_IN_BODY: dict[str, tuple[int, ...]] = {
    "/api/auth/login": (401, 429),
    "/api/auth/refresh": (401, 429),
    "/api/activate": (404, 410, 429),
}


def load_key_ring(settings: Settings) -> KeyRing:
    if settings.secret_key is not None:
        return KeyRing.from_pem(settings.secret_key.get_secret_value())
    return KeyRing.load_or_create(settings.data_dir / "keys")


DOCS_ASSETS = "/docs-assets"
REDOC_ASSETS = "/redoc-assets"
# redoc's standalone bundle, vendored from npm (see its README there): no pip package ships it.
REDOC_DIR = Path(__file__).parent / "static" / "redoc"


def install_offline_docs(app: FastAPI) -> None:
    """Swagger UI at /docs and ReDoc at /redoc from files shipped with the package, never
    from a CDN (nor Google Fonts: ReDoc falls back to the system's fonts)."""
    app.mount(DOCS_ASSETS, StaticFiles(directory=swagger_ui_path), name="docs-assets")
    app.mount(REDOC_ASSETS, StaticFiles(directory=REDOC_DIR), name="redoc-assets")

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} · ReDoc",
            redoc_js_url=f"{REDOC_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
            with_google_fonts=False,
        )

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} · docs",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()


def create_app(settings: Settings, services: Services, *, with_worker: bool = False) -> FastAPI:
    """Build the API on already-running services (the caller owns their lifecycle).

    `with_worker`: this process also runs the jobs (`stocky cloud serve --with-worker`);
    otherwise `stocky cloud worker` processes do, and this one only defers them.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_app_engine(services.app_database_url, settings)
        app.state.engine = engine
        watch_pool(engine, settings.db_pool_size)
        # Every transaction that adds to the change feed nudges its sedes once it commits.
        app.state.sessionmaker = make_sessionmaker(engine, on_feed=change_notices(app))
        app.state.redis = create_redis(services.redis_url)
        presence = PresenceMonitor(gateway, interval_s=settings.presence_interval_s)
        app.state.presence = presence
        await gateway.start()
        presence.start()
        worker = InProcessWorker(app, settings) if with_worker else None
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                await worker.stop()
            await presence.stop()
            await gateway.shutdown()
            await app.state.redis.aclose()
            unwatch_pool(engine, settings.db_pool_size)  # before dispose swaps the pool
            await engine.dispose()
            observed.mark_process_dead(os.getpid())

    app = FastAPI(
        title="Stocky cloud API",
        version="0.1.0",
        lifespan=lifespan,
        description="Multi-tenant source of truth for Stocky's stores and cajas.",
        # Before any route's own dependencies (authentication included): NUL is never data.
        dependencies=[Depends(refuse_nul)],
        # /docs and /redoc are served below from files we ship: they work offline.
        docs_url=None,
        redoc_url=None,
    )
    install_offline_docs(app)
    app.state.settings = settings
    app.state.keys = load_key_ring(settings)
    app.state.storage = build_storage(settings, app.state.keys)
    app.state.services = services
    # Deferring writes through the request's own connection; only a worker opens a pool.
    app.state.jobs = build_jobs_app(settings, services.app_database_url, TASKS)
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    # Socket.IO at /socket.io/ beside the API: one ASGI app for uvicorn and for tests.
    gateway = Gateway(app, services.redis_url)
    app.state.gateway = gateway
    app.state.sio = gateway.sio
    app.add_middleware(SocketIOMiddleware, server=gateway.sio)
    # Outermost: every request, Socket.IO's polling included, gets an id and a log line.
    install_observability(app)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(media.router)  # signed image URLs of the local object storage
    document_errors(app, extra=CREDENTIAL_IN_BODY)
    return app
