"""The restart offer waits for a safe moment: with a version staged, the POS screen shows
"Actualización lista (versión X): reiniciar" only while no sale is open; mid-sale the
local API's restart answers 409 and the pointer stays; between sales the banner's button
snapshots the store, moves the pointer, marks the health check pending and ends the
process for the launcher."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from nicegui import ui
from nicegui.testing.user import User
from nicegui.testing.user_simulation import user_simulation

from stocky.edge.api.app import PREFIX
from stocky.edge.config import EdgeSettings
from stocky.edge.ui.routes import root
from stocky.edge.ui.runtime import CajaRuntime, set_runtime
from stocky.edge.updates.client import check_and_stage
from stocky.edge.updates.service import RESTART_EXIT
from stocky.edge.updates.slots import Install, init_install
from stocky.release.repository import init_keys, publish
from tests.edge.factories import PASSWORD, Caja, caja
from tests.edge.ui.conftest import log_in
from tests.edge.ui.test_pages import scan_field
from tests.edge.updates.apps import ENTRY, build_app, static_server

__all__ = ["caja"]

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def staged(caja: Caja, tmp_path: Path) -> AsyncIterator[tuple[CajaRuntime, Install]]:
    keys = tmp_path / "keys"
    init_keys(keys)
    install = init_install(
        tmp_path / "install",
        build_app(tmp_path / "v1", "1.2.0"),
        version="1.2.0",
        entry=ENTRY,
        trusted_root=keys / "root.json",
    )
    publish(
        bundle=build_app(tmp_path / "v2", "1.3.0"),
        version="1.3.0",
        channel="stable",
        repo_dir=tmp_path / "repo",
        keys_dir=keys,
    )
    with static_server(tmp_path / "repo") as url:
        assert check_and_stage(install, update_url=url, channel="stable").outcome == "ready"
    settings = EdgeSettings(data_dir=caja.store.path.parent, install_root=install.root, lan="off")
    rt = CajaRuntime(settings)
    await rt.attach(caja.store)
    set_runtime(rt)
    yield rt, install
    await rt.stop()


@pytest_asyncio.fixture
async def user(staged: tuple[CajaRuntime, Install]) -> AsyncIterator[User]:
    async with user_simulation(root=root) as simulated:
        yield simulated


async def _restart_over_api(runtime: CajaRuntime) -> httpx.Response:
    assert runtime.api is not None
    transport = httpx.ASGITransport(app=runtime.api)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as api:
        r = await api.post(
            f"{PREFIX}/login", json={"email": "cajero@example.com", "password": PASSWORD}
        )
        assert r.status_code == 200, r.text
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        assert (await api.get("/local/update")).json()["ready"]["version"] == "1.3.0"
        return await api.post("/local/update/restart", headers=headers)


async def test_the_offer_waits_for_the_sale_then_restarts(
    user: User, caja: Caja, staged: tuple[CajaRuntime, Install]
) -> None:
    runtime, install = staged
    assert runtime.updates is not None
    exits: list[int] = []
    runtime.updates._exit = exits.append  # the process stays: the test runs in it
    offer = "Actualización lista (versión 1.3.0): reiniciar"
    await log_in(user)
    scan = await scan_field(user)
    await user.should_see(offer, retries=300)

    scan.type(caja.products[0]["barcode"]).trigger("keydown.enter")
    await user.should_see("Producto 0")
    r = await _restart_over_api(runtime)
    assert r.status_code == 409, r.text
    assert "sale is in progress" in r.json()["message"]
    assert install.pointed() == "a"
    assert install.load().pending is None
    await user.should_not_see(offer, retries=300)

    user.find(kind=ui.button, content="Cancelar venta").click()
    user.find(kind=ui.button, content="Anular venta").click()
    await user.should_see(offer, retries=300)
    user.find(kind=ui.button, content=offer).click()
    await user.should_see("Reiniciando en la versión 1.3.0", retries=300)
    for _ in range(300):
        if exits:
            break
        await asyncio.sleep(0.1)
    assert exits == [RESTART_EXIT]
    assert install.pointed() == "b"
    state = install.load()
    assert (state.current, state.previous, state.ready) == ("b", "a", None)
    assert state.pending is not None
    assert (state.pending["version"], state.pending["previous_version"]) == ("1.3.0", "1.2.0")
    assert list((caja.store.path.parent / "backups").glob("caja-*-before-update.db"))
    assert caja.store.closed  # drained and closed before the process would end
