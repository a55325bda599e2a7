"""The caja's process, composed in one place: the store, the local API on it, and the sync
engine with the sede's real-time subscription (the LAN node will plug in here too).

`CajaRuntime` starts and stops them in order. The screens start before activation (they
show the activation screen), so the store and what runs on it are attached later,
in-process, without a restart. Closing a shift goes through `close_shift_flushed`, the one
place that flushes the outbox first (ARCHITECTURE §3), for the screens and the local API.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

import uvicorn
from fastapi import FastAPI

from stocky.edge.activation.service import Activated, activate
from stocky.edge.api.app import create_local_app
from stocky.edge.backup.schedule import BackupScheduler
from stocky.edge.config import EdgeSettings
from stocky.edge.images.cache import ImageCache
from stocky.edge.shifts import service as shifts
from stocky.edge.shifts.schemas import ShiftClose, ShiftOut
from stocky.edge.store import Store
from stocky.edge.store.sede import SedeInfo, is_activated, load_sede_info
from stocky.edge.store.timestamps import utc_now
from stocky.edge.sync.engine import SyncEngine
from stocky.edge.updates.routes import router as update_router
from stocky.edge.updates.service import UpdateService

log = logging.getLogger(__name__)


class NotActivatedError(RuntimeError):
    def __init__(self, settings: EdgeSettings) -> None:
        super().__init__(
            f"the data dir {settings.data_dir} holds no activated caja; activate it first with "
            f"`stocky edge activate --cloud URL --code NNNNNN --data-dir {settings.data_dir}`"
        )


class NotReadyError(RuntimeError):
    """A screen needs the store, but this caja is not activated yet."""


def open_activated_store(settings: EdgeSettings) -> Store:
    # Never create the file here: an empty store would look like a caja that lost its data.
    if not settings.store_path.exists():
        raise NotActivatedError(settings)
    store = Store.open(settings.store_path)
    if not store.read(is_activated):
        store.close()
        raise NotActivatedError(settings)
    return store


@dataclass
class CajaRuntime:
    settings: EdgeSettings
    store: Store | None = None
    api: FastAPI | None = None
    sede: SedeInfo | None = None
    engine: SyncEngine | None = None
    updates: UpdateService | None = None  # only when run from a two-slot install
    images: ImageCache | None = None  # product images kept for offline screens
    backups: BackupScheduler | None = None
    # browser id (NiceGUI's signed cookie) -> local session token; the token never reaches
    # the page, so a script in it cannot read the session.
    tokens: dict[str, str] = field(default_factory=dict)
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack)

    @classmethod
    def around(cls, settings: EdgeSettings, store: Store) -> CajaRuntime:
        """A runtime of just this store, started by no one: what a local API app built on
        its own (tests, tools) closes shifts through. Its caller owns the store."""
        return cls(settings, store=store, sede=store.read(load_sede_info))

    @property
    def activated(self) -> bool:
        return self.store is not None

    def require_store(self) -> Store:
        if self.store is None:
            raise NotReadyError("activate this caja first")
        return self.store

    # Lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Attach the store when the data dir already holds an activated caja."""
        try:
            store = open_activated_store(self.settings)
        except NotActivatedError:
            return
        await self.attach(store)

    def mount(self, store: Store) -> FastAPI:
        """The local API on this store, bound to this runtime (nothing starts yet); the
        runtime closes the store when it stops."""
        api = create_local_app(store, self.settings)
        api.state.runtime = self  # what its routes reach the process through (api.deps)
        api.include_router(update_router)
        self._stack.callback(store.close)
        self.sede = store.read(load_sede_info)
        self.store, self.api = store, api
        return api

    async def start_sync(self) -> None:
        """Start the sync engine (push, pull, monitor and the real-time subscription)."""
        store = self.require_store()
        settings = self.settings
        engine = SyncEngine.for_store(
            store,
            ping_seconds=settings.ping_seconds,
            poll_seconds=settings.pull_poll_seconds,
            verify_seconds=settings.checksum_verify_seconds,
            timeouts=settings.cloud_timeouts(),
            cloud_url=settings.cloud_url,
            settings=settings,
        )
        await engine.start()
        self._stack.push_async_callback(engine.stop)
        self.engine = engine
        # The engine's client: the cloud's address and the caja's credential, one connection pool.
        self.images = ImageCache(store, engine.client._http, settings.data_dir)
        await self.images.start()
        self._stack.push_async_callback(self.images.stop)
        self.backups = BackupScheduler(settings)
        await self.backups.start()
        self._stack.push_async_callback(self.backups.stop)
        self.updates = UpdateService.for_runtime(self)
        if self.updates is not None:
            await self.updates.start()
            self._stack.push_async_callback(self.updates.stop)

    async def attach(self, store: Store) -> None:
        """Serve the local API on this store and start what runs on it."""
        self.mount(store)
        await self.start_sync()

    async def activate(self, *, cloud_url: str, code: str, device_name: str) -> Activated:
        """Run the same activation as `stocky edge activate`, then attach the new store."""
        done = await asyncio.to_thread(
            activate,
            cloud_url=cloud_url,
            code=code,
            data_dir=self.settings.data_dir,
            device_name=device_name,
        )
        await self.attach(open_activated_store(self.settings))
        return done

    async def stop(self) -> None:
        """Stop in the reverse order of starting: the engine first, then the store (which
        drains its queued writes before the file closes)."""
        await self._stack.aclose()
        self.images = None
        self.store = self.api = self.engine = self.updates = self.backups = None

    @asynccontextmanager
    async def serving(self, _: FastAPI) -> AsyncIterator[None]:
        """A lifespan for an ASGI server that serves the mounted local API alone."""
        await self.start_sync()
        try:
            yield
        finally:
            await self.stop()

    # What the screens and the local API ask of the process ------------------------------------

    async def flush_outbox(self) -> int:
        """Push what is pending now, best effort (offline is fine); returns what is left."""
        if self.engine is None:
            return 0
        left = await self.engine.flush()
        if left:
            log.warning("closing the shift with %d operations not yet in the cloud", left)
        return left

    async def close_shift_flushed(self, cmd: ShiftClose, *, user_id: str) -> ShiftOut:
        """Close the open shift after flushing the outbox, so the Z report's sales are in
        the cloud when it can be reached; the close itself never waits on the network."""
        store = self.require_store()
        await self.flush_outbox()
        return await store.awrite(
            lambda conn: shifts.close_shift(conn, cmd, user_id=user_id, now=utc_now())
        )


def serve(settings: EdgeSettings) -> None:
    """`stocky edge run --headless`: the local API alone, until interrupted."""
    store = open_activated_store(settings)
    runtime = CajaRuntime(settings)
    api = runtime.mount(store)
    api.router.lifespan_context = runtime.serving
    try:
        uvicorn.run(api, host=settings.host, port=settings.port)
    finally:
        store.close()  # when the server never started; closing twice is harmless
