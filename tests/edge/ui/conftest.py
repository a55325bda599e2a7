"""The caja's screens on an activated test store, driven by NiceGUI's simulated `user`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from nicegui import ui
from nicegui.testing.user import User
from nicegui.testing.user_simulation import user_simulation

from stocky.edge.config import EdgeSettings
from stocky.edge.ui.routes import root
from stocky.edge.ui.runtime import CajaRuntime, set_runtime
from tests.edge.factories import PASSWORD, Caja, caja

__all__ = ["PASSWORD", "caja"]


@pytest_asyncio.fixture
async def runtime(caja: Caja, tmp_path: Path) -> AsyncIterator[CajaRuntime]:
    rt = CajaRuntime(EdgeSettings(data_dir=tmp_path / "data"))
    await rt.attach(caja.store)
    set_runtime(rt)
    yield rt
    # attach() registered the store's close; the caja fixture closes it again harmlessly.
    await rt.stop()


@pytest_asyncio.fixture
async def user(runtime: CajaRuntime) -> AsyncIterator[User]:
    async with user_simulation(root=root) as simulated:
        yield simulated


async def log_in(user: User, email: str = "cajero@example.com") -> None:
    await user.open("/login")
    user.find(kind=ui.input, content="Usuario (correo)").type(email)
    user.find(kind=ui.input, content="Contraseña").type(PASSWORD)
    user.find(kind=ui.button, content="Entrar").click()
    await user.should_see("Vender", retries=50)
