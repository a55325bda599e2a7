"""The services' errors read as sentences in the person's language, naming the field."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from pydantic import ValidationError

from stocky.core.errors import ConflictError, FieldError, ForbiddenError
from stocky.edge.shifts.schemas import CashMovementIn
from stocky.edge.ui.errors import error_text, needs_manager, needs_shift
from stocky.ui.i18n import set_language


@pytest.fixture
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("es")


class TestErrorText:
    def test_not_enough_left_names_the_line(self) -> None:
        exc = ConflictError("lines.0.quantity: only 1.000 left to return", field="lines.0.quantity")
        text = error_text(exc, {"lines.0.quantity": "Arroz Diana 1 kg"})
        assert text == "De «Arroz Diana 1 kg» solo quedan 1 por devolver"

    def test_nothing_chosen(self) -> None:
        text = error_text(FieldError("lines", "choose the lines and quantities to return"))
        assert text.startswith("No eligió nada para devolver")

    def test_shift_needed_offers_the_shift(self) -> None:
        exc = ConflictError(
            "shift: open a shift before taking cash; it must appear in a Z report", field="shift"
        )
        assert needs_shift(exc)
        assert error_text(exc).startswith("Abra un turno antes de recibir o devolver efectivo")

    def test_manager_needed_and_wrong_login(self) -> None:
        whole = ForbiddenError(
            "manager: returning a whole ticket needs a manager's approval", field="manager"
        )
        wrong = ForbiddenError(
            "manager: that is not a manager's email and password", field="manager"
        )
        above = ForbiddenError(
            "manager: a refund above 50000.00 needs a manager's approval", field="manager"
        )
        assert needs_manager(whole)
        assert needs_manager(above)
        assert not needs_manager(wrong)
        assert "tiquete completo" in error_text(whole)
        assert "$ 50.000" in error_text(above)
        assert error_text(wrong).startswith("Ese correo y contraseña no son")

    def test_drawer_and_reason(self) -> None:
        drawer = ConflictError("amount: the drawer should hold only 4500.00", field="amount")
        assert error_text(drawer) == (
            "En el cajón solo debería haber $ 4.500; no se puede sacar más"
        )
        with pytest.raises(ValidationError) as blank:
            CashMovementIn(type="in", amount=Decimal(5), reason="")
        assert error_text(blank.value, {"reason": "Motivo"}) == "Escriba el motivo en «Motivo»"
        with pytest.raises(ValidationError) as negative:
            CashMovementIn(type="in", amount=Decimal(-5), reason="x")
        assert "mayor que cero" in error_text(negative.value, {"amount": "Valor"})

    def test_unmapped_is_never_raw_english(self) -> None:
        exc = ConflictError("widget: the frobnicator is stuck", field="widget")
        assert "frobnicator" not in error_text(exc)
        assert "frobnicator" not in error_text(ConflictError("something odd"))

    @pytest.mark.usefixtures("english")
    def test_in_english(self) -> None:
        exc = ConflictError("lines.1.quantity: only 0.500 left to return", field="lines.1.quantity")
        text = error_text(exc, {"lines.1.quantity": "Cheese"}, locale="en-US")
        assert text == "Only 0.5 of “Cheese” are left to return"
