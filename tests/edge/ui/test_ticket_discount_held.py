"""The ticket's discount stays with the sale when it is parked and resumed, and over a reload
(issue 12): the cart keeps it in the store with the lines (caja schema v9)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from nicegui import ui
from nicegui.testing.user import User
from nicegui.testing.user_interaction import UserInteraction

from stocky.edge.pos import cart_store
from tests.edge.factories import Caja
from tests.edge.ui.conftest import log_in
from tests.edge.ui.test_pages import scan_field

pytestmark = pytest.mark.asyncio


def _button(user: User, text: str) -> UserInteraction[ui.button]:
    """The button whose text is exactly `text` ("Retomar" is also in "Retomar (1)")."""
    found = {b for b in user.find(kind=ui.button, content=text).elements if b.text == text}
    assert len(found) == 1, f"{len(found)} buttons read {text!r}"
    return UserInteraction(user, found, None)


async def _ring_up_with_ticket_discount(user: User, caja: Caja) -> None:
    await log_in(user)
    scan = await scan_field(user)
    scan.type(f"3*{caja.products[0]['barcode']}").trigger("keydown.enter")
    await user.should_see("Producto 0")
    user.find(kind=ui.button, content="Descuento").click()
    await user.should_see("Descuento a toda la venta")
    toggle = user.find(kind=ui.toggle).elements.pop()
    toggle.value = "percent"
    user.find(kind=ui.input, content="Descuento").clear().type("10")
    user.find(kind=ui.button, content="Guardar").click()
    await user.should_see("$ 27", retries=30)  # 30 less 10 %


def _open_discount(caja: Caja) -> cart_store.TicketDiscount:
    return caja.store.read(cart_store.open_cart).discount


async def _until_saved(caja: Caja) -> None:
    """The cart is written on a background task after each change; wait for that write."""
    for _ in range(200):
        if _open_discount(caja):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the open cart never kept its discount")


async def test_park_and_resume_keep_the_ticket_discount(user: User, caja: Caja) -> None:
    await _ring_up_with_ticket_discount(user, caja)
    _button(user, "En espera").click()
    await user.should_see("Escanee un producto para empezar la venta", retries=30)
    parked = caja.store.read(cart_store.parked_carts)
    assert [p.discount for p in parked] == [cart_store.TicketDiscount(percent=Decimal("10.00"))]

    _button(user, "Retomar (1)").click()
    await user.should_see("Ventas en espera", retries=30)
    _button(user, "Retomar").click()
    await user.should_see("$ 27", retries=30)
    await user.should_see("-$ 3")


async def test_a_reload_keeps_the_ticket_discount(user: User, caja: Caja) -> None:
    await _ring_up_with_ticket_discount(user, caja)
    await _until_saved(caja)
    assert _open_discount(caja) == cart_store.TicketDiscount(percent=Decimal("10.00"))
    await user.open("/vender")
    await user.should_see("Producto 0", retries=50)
    await user.should_see("$ 27", retries=30)
