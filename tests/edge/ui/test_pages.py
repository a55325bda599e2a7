"""Screen logic through NiceGUI's simulated user: login, selling, shift, stock guards."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing.user import User
from nicegui.testing.user_interaction import UserInteraction

from stocky.edge.shifts.service import current_shift
from stocky.edge.ui.runtime import CajaRuntime
from stocky.ui.i18n import t
from tests.edge.factories import Caja
from tests.edge.ui.conftest import log_in


class TestLogin:
    @pytest.mark.asyncio
    async def test_unknown_browser_goes_to_login(self, user: User) -> None:
        await user.open("/vender")
        await user.should_see("Iniciar sesión")

    @pytest.mark.asyncio
    async def test_wrong_password_says_so(self, user: User) -> None:
        await user.open("/login")
        user.find(kind=ui.input, content="Usuario (correo)").type("cajero@example.com")
        user.find(kind=ui.input, content="Contraseña").type("nope")
        user.find(kind=ui.button, content="Entrar").click()
        await user.should_see("Usuario o contraseña incorrectos", retries=50)

    @pytest.mark.asyncio
    async def test_login_reaches_the_point_of_sale(self, user: User) -> None:
        await log_in(user)
        await user.should_see("Escanee un producto para empezar la venta")


async def scan_field(user: User) -> UserInteraction[ui.input]:
    # Log-in redirects to the point of sale; wait for it to render before typing.
    await user.should_see(kind=ui.input, content="Escanee o escriba", retries=50)
    return user.find(kind=ui.input, content="Escanee o escriba")


class TestSelling:
    @pytest.mark.asyncio
    async def test_scan_twice_adds_quantity_and_pays_cash(
        self, user: User, caja: Caja, runtime: CajaRuntime
    ) -> None:
        await log_in(user)
        code = caja.products[0]["barcode"]
        scan = await scan_field(user)
        scan.type(code).trigger("keydown.enter")
        await user.should_see("Producto 0")
        scan.type(code).trigger("keydown.enter")
        await user.should_see("$ 20")
        user.find(kind=ui.button, content="Cobrar").click()
        user.find(kind=ui.input, content="Recibido").type("50000")
        await user.should_see("Cambio")
        user.find(kind=ui.button, content="Confirmar pago").click()
        await user.should_see("Venta registrada", retries=30)
        await user.should_see("Tiquete N.º 1")

    @pytest.mark.asyncio
    async def test_unknown_barcode_warns(self, user: User) -> None:
        await log_in(user)
        (await scan_field(user)).type("999999").trigger("keydown.enter")
        await user.should_see("No hay producto con el código 999999")


class TestShift:
    @pytest.mark.asyncio
    async def test_open_and_close_shows_z_report(self, user: User, runtime: CajaRuntime) -> None:
        await log_in(user)
        await user.open("/turno")
        await user.should_see("Base de caja", retries=30)
        user.find(kind=ui.input, content="Base de caja").type("100000")
        user.find(kind=ui.button, content="Abrir turno").click()
        await user.should_see("Escanee un producto para empezar la venta", retries=30)
        store = runtime.require_store()
        assert await store.aread(current_shift) is not None
        await user.open("/turno")
        await user.should_see("Cerrar turno", retries=30)
        user.find(kind=ui.input, content="Efectivo contado").type("100000")
        user.find(kind=ui.button, content="Cerrar turno").click()
        await user.should_see("Cierre de caja (reporte Z)", retries=30)
        assert await store.aread(current_shift) is None


class TestStock:
    @pytest.mark.asyncio
    async def test_cashier_sees_stock_but_not_entry_forms(self, user: User) -> None:
        await log_in(user)
        await user.open("/inventario")
        await user.should_see(kind=ui.table, retries=30)
        # The table renders before its rows load; the pager is filled after them.
        await user.should_see(t("common.page", page=1, pages=1), retries=50)
        # The entry and count tabs are a manager's: a cashier does not see them at all.
        assert [tab.props["label"] for tab in user.find(kind=ui.tab).elements] == [t("stock.title")]
        table = next(iter(user.find(kind=ui.table).elements))
        assert isinstance(table, ui.table)
        assert [r["name"] for r in table.rows] == ["Producto 0", "Producto 1", "Producto 2"]
        assert table.rows[1]["quantity"] == "10"

    @pytest.mark.asyncio
    async def test_manager_sets_thresholds_from_the_table(
        self, user: User, caja: Caja, runtime: CajaRuntime
    ) -> None:
        await log_in(user, "admin@example.com")
        await user.open("/inventario")
        await user.should_see(t("common.page", page=1, pages=1), retries=50)
        table = next(iter(user.find(kind=ui.table).elements))
        assert isinstance(table, ui.table)
        row = table.rows[1]
        assert (row["min"], row["max"]) == ("0", "—")
        user.find(kind=ui.table).trigger("edit", row)
        await user.should_see(t("stock.thresholds"), retries=20)
        user.find(kind=ui.input, content=t("stock.min")).clear().type("12")
        user.find(kind=ui.input, content=t("stock.max")).clear().type("30")
        user.find(kind=ui.button, content=t("common.save")).click()
        await user.should_see(t("stock.thresholds_saved"), retries=50)
        assert (table.rows[1]["min"], table.rows[1]["max"]) == ("12", "30")
        store = runtime.store
        assert store is not None
        kept = store.read(
            lambda c: c.execute(
                "SELECT min_milli, max_milli FROM inventory WHERE product_id = ?", (row["id"],)
            ).fetchone()
        )
        assert tuple(kept) == (12_000, 30_000)
