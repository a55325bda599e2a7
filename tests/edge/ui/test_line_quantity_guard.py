"""The quantity guard in the line editor (issue 12): raising a line's quantity above the caja
policy's quantity_confirm_above asks first, as a scan does; cancelling keeps the line."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing.user import User
from nicegui.testing.user_interaction import UserInteraction

from tests.edge.factories import Caja
from tests.edge.shifts.money import set_policy
from tests.edge.ui.conftest import log_in
from tests.edge.ui.test_pages import scan_field

pytestmark = pytest.mark.asyncio


async def _edit_quantity(user: User, caja: Caja, typed: str) -> None:
    await log_in(user)
    scan = await scan_field(user)
    scan.type(caja.products[0]["barcode"]).trigger("keydown.enter")
    await user.should_see("Producto 0")
    user.find(kind=ui.button, content="1").click()  # the line's quantity opens its editor
    await user.should_see(kind=ui.input, content="Cantidad")
    user.find(kind=ui.input, content="Cantidad").clear().type(typed)
    user.find(kind=ui.button, content="Guardar").click()


async def test_above_the_limit_asks_and_confirming_sets_it(user: User, caja: Caja) -> None:
    set_policy(caja, shift_required="none", quantity_confirm_above={"unit": 100})
    await _edit_quantity(user, caja, "150")
    await user.should_see("¿Cantidad correcta?")
    await user.should_see("Va a agregar 150 de Producto 0")
    user.find(kind=ui.button, content="Sí, agregar").click()
    await user.should_see("$ 1.500", retries=30)


async def test_cancelling_keeps_the_line_as_it_was(user: User, caja: Caja) -> None:
    set_policy(caja, shift_required="none", quantity_confirm_above={"unit": 100})
    await _edit_quantity(user, caja, "150")
    await user.should_see("¿Cantidad correcta?")
    # Two dialogs say Cancelar: the guard's is the newest, over the editor.
    newest = max(user.find(kind=ui.button, content="Cancelar").elements, key=lambda b: b.id)
    UserInteraction(user, {newest}, None).click()
    # (The simulated page keeps a closed dialog's elements: a browser's hide deletes it.)
    guard, editor = sorted(user.find(kind=ui.dialog).elements, key=lambda d: -d.id)
    assert (guard.value, editor.value) == (False, True)  # back in the editor
    await user.should_not_see("$ 1.500")


async def test_at_the_limit_asks_nothing(user: User, caja: Caja) -> None:
    set_policy(caja, shift_required="none", quantity_confirm_above={"unit": 100})
    await _edit_quantity(user, caja, "100")
    await user.should_see("$ 1.000", retries=30)
    await user.should_not_see("¿Cantidad correcta?")
