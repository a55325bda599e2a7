"""What the screens share inside one caja process: the store once activated, the local API
app wrapped around it, and who is logged in at each browser.

The UI starts before activation (it shows the activation screen), so the store and the
local API are attached later, in-process, without a restart.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

from fastapi import FastAPI

from stocky.edge.activation.service import Activated, activate
from stocky.edge.api.deps import ShiftCloseHook
from stocky.edge.api.server import NotActivatedError, build_app, open_activated_store
from stocky.edge.config import EdgeSettings
from stocky.edge.store import Store
from stocky.edge.store.sede import SedeInfo, load_sede_info


class NotReadyError(RuntimeError):
    """A screen needs the store, but this caja is not activated yet."""


@dataclass
class CajaRuntime:
    settings: EdgeSettings
    store: Store | None = None
    api: FastAPI | None = None
    sede: SedeInfo | None = None
    # browser id (NiceGUI's signed cookie) -> local session token; the token never reaches
    # the page, so a script in it cannot read the session.
    tokens: dict[str, str] = field(default_factory=dict)
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack)

    @property
    def activated(self) -> bool:
        return self.store is not None

    def require_store(self) -> Store:
        if self.store is None:
            raise NotReadyError("activate this caja first")
        return self.store

    def shift_close_hooks(self) -> list[ShiftCloseHook]:
        if self.api is None:
            return []
        hooks: list[ShiftCloseHook] = self.api.state.before_shift_close
        return hooks

    async def start(self) -> None:
        """Attach the store when the data dir already holds an activated caja."""
        try:
            store = open_activated_store(self.settings)
        except NotActivatedError:
            return
        await self.attach(store)

    async def attach(self, store: Store) -> None:
        """Serve the local API on this store and run its components (sync engine...)."""
        api = build_app(store, self.settings)
        await self._stack.enter_async_context(api.router.lifespan_context(api))
        self._stack.callback(store.close)
        self.sede = store.read(load_sede_info)
        self.store, self.api = store, api

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
        await self._stack.aclose()
        self.store = self.api = None


_current: list[CajaRuntime] = []


def set_runtime(runtime: CajaRuntime) -> None:
    _current[:] = [runtime]


def get_runtime() -> CajaRuntime:
    if not _current:
        raise RuntimeError("the caja UI runs without a runtime; build it with create_ui_app")
    return _current[0]
