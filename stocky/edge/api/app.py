"""The local API app factory: the caja's store and settings in, a ready app out."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI

from stocky.core.errors import install_error_handlers, refuse_nul
from stocky.core.limits import BodyLimitMiddleware
from stocky.edge.api.hosts import HostCheckMiddleware, allowed_hosts
from stocky.edge.api.metrics import router as metrics_router
from stocky.edge.api.routes import router as caja_router
from stocky.edge.config import EdgeSettings
from stocky.edge.images.router import router as images_router
from stocky.edge.inventory.router import router as inventory_router
from stocky.edge.pos.router import router as pos_router
from stocky.edge.shifts.router import router as shifts_router
from stocky.edge.store import Store
from stocky.edge.transfers.router import router as transfers_router

PREFIX = "/local/api"
MAX_BODY_BYTES = 1024 * 1024


def create_local_app(store: Store, settings: EdgeSettings) -> FastAPI:
    """Build the local API on an open store (the caller owns the store's lifecycle)."""
    app = FastAPI(
        title="Stocky caja API",
        version="0.1.0",
        docs_url=f"{PREFIX}/docs",
        openapi_url=f"{PREFIX}/openapi.json",
        # The same rule as the cloud's: the caja never keeps text the cloud could not store.
        dependencies=[Depends(refuse_nul)],
    )
    app.state.store = store
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=MAX_BODY_BYTES)
    # Outermost: a request addressed to another host name (DNS rebinding) gets nothing.
    app.add_middleware(HostCheckMiddleware, allowed=allowed_hosts(settings.host))
    api = APIRouter(prefix=PREFIX)
    for router in (caja_router, pos_router, inventory_router, shifts_router, transfers_router):
        api.include_router(router)
    api.include_router(images_router)
    app.include_router(api)
    app.include_router(metrics_router)  # /local/metrics, loopback only
    return app
