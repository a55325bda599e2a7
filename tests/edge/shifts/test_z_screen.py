"""The shift screen and the Z report say what a shift took in and which receipts it spans."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing.user import User

from tests.edge.factories import Caja
from tests.edge.pos.test_sales import sell
from tests.edge.ui.conftest import log_in, runtime, user

__all__ = ["runtime", "user"]


@pytest.mark.asyncio
async def test_the_z_report_shows_adopted_sales_and_its_receipts(user: User, caja: Caja) -> None:
    caja.store.write(lambda c: c.execute("UPDATE sede_info SET receipt_prefix = 'C01'"))
    for _ in range(2):  # card sales with no shift open
        sell(
            caja,
            {
                "lines": [{"product_id": caja.products[0]["id"], "quantity": "1"}],
                "payments": [{"method": "card", "amount": "10"}],
            },
        )
    await log_in(user)
    await user.open("/turno")
    await user.should_see("Base de caja", retries=30)
    user.find(kind=ui.input, content="Base de caja").type("0")
    user.find(kind=ui.button, content="Abrir turno").click()
    await user.should_see("Incluye 2 ventas hechas sin turno abierto", retries=30)
    await user.open("/turno")
    await user.should_see("Cerrar turno", retries=30)
    await user.should_see("Incluye 2 ventas hechas sin turno abierto")
    user.find(kind=ui.input, content="Efectivo contado").type("0")
    user.find(kind=ui.button, content="Cerrar turno").click()
    await user.should_see("Cierre de caja (reporte Z)", retries=30)
    await user.should_see("C01-000001 → C01-000002")
    await user.should_see("Ventas (2)")
    await user.should_see("Incluye 2 ventas hechas sin turno abierto")
