"""The returns screen, for a ticket this caja does not hold and cannot fetch (offline)."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing.user import User

from stocky.edge.ui.runtime import CajaRuntime
from tests.edge.ui.conftest import log_in


@pytest.mark.asyncio
async def test_another_cajas_ticket_offline_says_so_in_spanish(
    user: User, runtime: CajaRuntime
) -> None:
    store = runtime.require_store()
    # Nothing listens on port 9: the cloud is unreachable.
    store.write(lambda c: c.execute("UPDATE sede_info SET cloud_url = 'http://127.0.0.1:9'"))
    await log_in(user)
    await user.open("/devoluciones")
    await user.should_see("Número de tiquete", retries=50)
    user.find(kind=ui.input, content="Número de tiquete").type("C09-000001")
    user.find(kind=ui.button, content="Buscar venta").click()
    await user.should_see(
        "El tiquete no es de esta caja y no hay conexión con la nube para buscarlo", retries=100
    )
