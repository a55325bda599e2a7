"""The approval dialog at the counter and the returns screen (issue 12): the PIN first when
the policy takes one (the sede's manager with a PIN chosen, their PIN typed), the email and
password below it; a wrong PIN says so and clears the field; the sale or the return then
records who approved. NiceGUI's simulated user on a real caja store."""

from __future__ import annotations

import json

import pytest
from nicegui import ui
from nicegui.testing.user import User

from stocky.core.passwords import hash_password
from stocky.edge.pos.schemas import SaleCreate
from stocky.edge.pos.service import record_sale
from stocky.edge.store.timestamps import utc_now
from tests.edge.factories import PASSWORD, Caja
from tests.edge.shifts.money import set_policy
from tests.edge.ui.conftest import log_in
from tests.edge.ui.test_pages import scan_field

pytestmark = pytest.mark.asyncio
PIN = "4821"


def _give_pin(caja: Caja) -> None:
    hashed, manager = hash_password(PIN), caja.manager["id"]
    caja.store.write(
        lambda c: c.execute("UPDATE users SET pin_hash = ? WHERE id = ?", (hashed, manager))
    )


async def _pay_with_a_big_discount(user: User, caja: Caja) -> None:
    await log_in(user)
    scan = await scan_field(user)
    scan.type(f"2*{caja.products[0]['barcode']}").trigger("keydown.enter")
    await user.should_see("Producto 0")
    user.find(kind=ui.button, content="Descuento").click()
    await user.should_see("Descuento a toda la venta")
    user.find(kind=ui.toggle).elements.pop().value = "percent"
    user.find(kind=ui.input, content="Descuento").clear().type("50")
    user.find(kind=ui.button, content="Guardar").click()
    await user.should_see("$ 10", retries=30)
    user.find(kind=ui.button, content="Cobrar").click()
    user.find(kind=ui.input, content="Recibido").type("10000")
    await user.should_see("Cambio")
    user.find(kind=ui.button, content="Confirmar pago").click()
    await user.should_see("Autorización del administrador", retries=30)


def _sold_by(caja: Caja) -> list[tuple[str, str | None]]:
    return caja.store.read(
        lambda c: c.execute("SELECT user_id, discount_approved_by FROM sales").fetchall()
    )


async def test_a_pin_approves_the_discount(user: User, caja: Caja) -> None:
    set_policy(caja, shift_required="none", discount_approval_above_percent="10")
    _give_pin(caja)
    await _pay_with_a_big_discount(user, caja)
    picked = user.find(kind=ui.select).elements.pop()
    assert picked.value == caja.manager["email"]  # the only manager with a PIN
    user.find(kind=ui.input, content="PIN del administrador").type("0000")
    user.find(kind=ui.button, content="Autorizar").click()
    await user.should_see("Ese PIN no es el de ese administrador.", retries=30)
    pin = user.find(kind=ui.input, content="PIN del administrador").elements.pop()
    assert pin.value == ""
    assert _sold_by(caja) == []
    user.find(kind=ui.input, content="PIN del administrador").type(PIN)
    user.find(kind=ui.button, content="Autorizar").click()
    await user.should_see("Venta registrada", retries=30)
    assert [tuple(r) for r in _sold_by(caja)] == [(caja.cashier["id"], caja.manager["id"])]


async def test_login_only_shows_no_pin(user: User, caja: Caja) -> None:
    set_policy(caja, shift_required="none", discount_approval_above_percent="10", approval="login")
    _give_pin(caja)
    await _pay_with_a_big_discount(user, caja)
    await user.should_not_see("PIN del administrador")
    user.find(kind=ui.input, content="Usuario (correo)").type(caja.manager["email"])
    user.find(kind=ui.input, content="Contraseña").type(PASSWORD)
    user.find(kind=ui.button, content="Autorizar").click()
    await user.should_see("Venta registrada", retries=30)
    assert [tuple(r) for r in _sold_by(caja)] == [(caja.cashier["id"], caja.manager["id"])]


async def test_pin_only_with_nobody_holding_one_says_so(user: User, caja: Caja) -> None:
    set_policy(caja, shift_required="none", discount_approval_above_percent="10", approval="pin")
    await _pay_with_a_big_discount(user, caja)
    await user.should_see("Ningún administrador de esta sede tiene PIN")
    await user.should_not_see("Contraseña")


async def test_a_pin_approves_a_whole_ticket_return(user: User, caja: Caja) -> None:
    set_policy(caja, shift_required="none", return_approval_whole_ticket=True)
    _give_pin(caja)
    cmd = SaleCreate.model_validate(
        {
            "lines": [{"product_id": caja.products[0]["id"], "quantity": "1"}],
            "payments": [{"method": "card", "amount": "10"}],
        }
    )
    cashier = caja.cashier["id"]
    caja.store.write(lambda c: record_sale(c, cmd, user_id=cashier, now=utc_now()))
    await log_in(user)
    await user.open("/devoluciones")
    await user.should_see("Número de tiquete", retries=50)
    user.find(kind=ui.input, content="Número de tiquete").type("1")
    user.find(kind=ui.button, content="Buscar venta").click()
    await user.should_see("Producto 0", retries=30)
    user.find(kind=ui.button, content="Todo").click()
    user.find(kind=ui.button, content="Registrar devolución").click()
    await user.should_see("¿Registrar esta devolución?", retries=30)
    user.find(kind=ui.button, content="Sí, registrar").click()
    await user.should_see("Autorización del administrador", retries=30)
    await user.should_see("tiquete completo")
    user.find(kind=ui.input, content="PIN del administrador").type(PIN)
    user.find(kind=ui.button, content="Autorizar").click()
    await user.should_see("Devolución registrada", retries=30)
    payload = caja.store.read(
        lambda c: c.execute("SELECT payload FROM sync_queue ORDER BY rowid DESC LIMIT 1")
    ).fetchone()[0]
    assert json.loads(payload)["return"]["approved_by"] == caja.manager["id"]
