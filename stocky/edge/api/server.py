"""`stocky edge run`: the caja's process (store, local API, and the parts that plug in)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI

from stocky.edge.api.app import create_local_app
from stocky.edge.api.status import caja_status
from stocky.edge.config import EdgeSettings
from stocky.edge.store import Store, connect_reader
from stocky.edge.store.sede import is_activated
from stocky.edge.sync.engine import sync_component

# Parts that run for the life of the server (the sync engine, the UI) plug in here.
Component = Callable[[Store, EdgeSettings, FastAPI], AbstractAsyncContextManager[None]]
COMPONENTS: list[Component] = [sync_component]


class NotActivatedError(RuntimeError):
    def __init__(self, settings: EdgeSettings) -> None:
        super().__init__(
            f"the data dir {settings.data_dir} holds no activated caja; activate it first with "
            f"`stocky edge activate --cloud URL --code NNNNNN --data-dir {settings.data_dir}`"
        )


def read_status(settings: EdgeSettings) -> dict[str, Any]:
    """The status JSON, read-only: safe while `stocky edge run` holds the file."""
    if not settings.store_path.exists():
        return {"activated": False, "data_dir": str(settings.data_dir)}
    conn = connect_reader(settings.store_path)
    try:
        conn.execute("BEGIN")
        status = caja_status(conn)
    finally:
        conn.close()
    return {**status, "data_dir": str(settings.data_dir)}


def status_json(settings: EdgeSettings) -> str:
    return json.dumps(read_status(settings), indent=2, default=str)


def open_activated_store(settings: EdgeSettings) -> Store:
    # Never create the file here: an empty store would look like a caja that lost its data.
    if not settings.store_path.exists():
        raise NotActivatedError(settings)
    store = Store.open(settings.store_path)
    if not store.read(is_activated):
        store.close()
        raise NotActivatedError(settings)
    return store


def build_app(store: Store, settings: EdgeSettings) -> FastAPI:
    app = create_local_app(store, settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for component in COMPONENTS:
                await stack.enter_async_context(component(store, settings, app))
            yield

    app.router.lifespan_context = lifespan
    return app


def serve(settings: EdgeSettings) -> None:
    """Run until interrupted; the store drains its queued writes before the file closes."""
    store = open_activated_store(settings)
    try:
        uvicorn.run(build_app(store, settings), host=settings.host, port=settings.port)
    finally:
        store.close()
