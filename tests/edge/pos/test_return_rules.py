"""Issue 12 item 1-2: a return refunds only what was chosen, the way the sale was paid, with a
manager above a threshold or for a whole ticket; cash needs an open shift."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from stocky.core.errors import ConflictError, FieldError, ForbiddenError
from stocky.edge.pos.returns import record_return
from stocky.edge.pos.schemas import ReturnCreate
from stocky.edge.store.timestamps import utc_now
from tests.edge.factories import Caja
from tests.edge.pos.test_returns import stock
from tests.edge.pos.test_sales import sell
from tests.edge.shifts.money import close, open_, set_policy


def give_back(caja: Caja, body: dict[str, Any], approved_by: str | None = None) -> Any:
    cmd = ReturnCreate.model_validate(body)
    return caja.store.write(
        lambda c: record_return(
            c, cmd, user_id=caja.cashier["id"], now=utc_now(), approved_by=approved_by
        )
    )


def queued_return(caja: Caja, return_id: str) -> dict[str, Any]:
    row = caja.store.read(
        lambda c: c.execute("SELECT payload FROM sync_queue WHERE entity_id = ?", (return_id,))
    ).fetchone()
    return dict(json.loads(row[0])["return"])


@pytest.fixture
def strict(caja: Caja) -> Caja:
    set_policy(caja, return_approval_above="50")
    open_(caja, "100")
    return caja


def _sale(caja: Caja, payments: list[dict[str, str]], qty: str = "3") -> Any:
    # 3 x 10.00 = 30.00
    return sell(
        caja,
        {"lines": [{"product_id": caja.products[0]["id"], "quantity": qty}], "payments": payments},
    )


class TestChosenLinesOnly:
    def test_nothing_chosen_is_a_clear_error_and_changes_nothing(self, strict: Caja) -> None:
        sale = _sale(strict, [{"method": "cash", "amount": "30"}])
        before = stock(strict, strict.products[0]["id"])
        with pytest.raises(FieldError) as err:
            give_back(strict, {"sale_id": sale.id, "lines": []})
        assert err.value.field == "lines"
        assert stock(strict, strict.products[0]["id"]) == before

    def test_whole_ticket_needs_a_manager(self, strict: Caja) -> None:
        sale = _sale(strict, [{"method": "cash", "amount": "30"}])
        with pytest.raises(ForbiddenError):
            give_back(strict, {"sale_id": sale.id})
        out = give_back(strict, {"sale_id": sale.id}, approved_by=strict.manager["id"])
        assert out.approved_by == strict.manager["id"]
        assert queued_return(strict, out.id)["approved_by"] == strict.manager["id"]

    def test_above_threshold_needs_a_manager(self, strict: Caja) -> None:
        sale = _sale(strict, [{"method": "cash", "amount": "100"}], qty="9")
        line = sale.lines[0].id
        with pytest.raises(ForbiddenError):
            give_back(strict, {"sale_id": sale.id, "lines": [{"line_id": line, "quantity": "6"}]})
        # 5 x 10.00 = 50.00 is not above 50.
        give_back(strict, {"sale_id": sale.id, "lines": [{"line_id": line, "quantity": "5"}]})


class TestRefundMethod:
    def test_card_sale_refunds_to_card_and_leaves_the_drawer_alone(self, strict: Caja) -> None:
        sale = _sale(strict, [{"method": "card", "amount": "30"}])
        out = give_back(
            strict, {"sale_id": sale.id, "lines": [{"line_id": sale.lines[0].id, "quantity": "1"}]}
        )
        assert out.refund_method == "card"
        assert [(r.method, r.amount) for r in out.refunds] == [("card", Decimal("10.00"))]
        z = close(strict, "100").z_report
        assert z.expected_cash == Decimal("100.00")
        assert z.refunds["card"] == Decimal("10.00")

    def test_cash_refund_never_beyond_what_was_paid_in_cash(self, strict: Caja) -> None:
        sale = _sale(
            strict, [{"method": "cash", "amount": "10"}, {"method": "card", "amount": "20"}]
        )
        with pytest.raises(ConflictError) as err:
            give_back(
                strict,
                {
                    "sale_id": sale.id,
                    "lines": [{"line_id": sale.lines[0].id, "quantity": "2"}],
                    "refund_method": "cash",
                },
            )
        assert err.value.extra["field"] == "refund_method"
        # The default splits: card first, then cash up to what cash paid.
        out = give_back(
            strict,
            {"sale_id": sale.id, "lines": [{"line_id": sale.lines[0].id, "quantity": "3"}]},
            approved_by=strict.manager["id"],
        )
        assert [(r.method, r.amount) for r in out.refunds] == [
            ("card", Decimal("20.00")),
            ("cash", Decimal("10.00")),
        ]
        header = queued_return(strict, out.id)
        assert header["refunds"] == [
            {"method": "card", "amount": "20.00"},
            {"method": "cash", "amount": "10.00"},
        ]


class TestStockAndCashExactly:
    def test_partial_return_moves_stock_and_cash_exactly(self, strict: Caja) -> None:
        product = strict.products[0]["id"]
        sale = _sale(strict, [{"method": "cash", "amount": "50"}])  # change 20.00
        assert stock(strict, product) == 10_000 - 3_000
        give_back(
            strict, {"sale_id": sale.id, "lines": [{"line_id": sale.lines[0].id, "quantity": "2"}]}
        )
        assert stock(strict, product) == 10_000 - 1_000
        z = close(strict, "110").z_report
        # 100 float + 30 cash sales (50 - 20 change) - 20 refunded in cash
        assert z.expected_cash == Decimal("110.00")
        assert z.difference == Decimal("0.00")
        assert z.net == Decimal("10.00")
        assert z.net_by_method["cash"] == Decimal("10.00")


class TestShiftRule:
    def test_cash_sale_needs_an_open_shift(self, caja: Caja) -> None:
        set_policy(caja)
        with pytest.raises(ConflictError) as err:
            _sale(caja, [{"method": "cash", "amount": "30"}])
        assert err.value.extra["field"] == "shift"
        card = _sale(caja, [{"method": "card", "amount": "30"}])
        assert card.shift_id is None

    def test_every_sale_needs_a_shift_when_the_sede_says_so(self, caja: Caja) -> None:
        set_policy(caja, shift_required="all")
        with pytest.raises(ConflictError):
            _sale(caja, [{"method": "card", "amount": "30"}])
        shift = open_(caja)
        assert _sale(caja, [{"method": "card", "amount": "30"}]).shift_id == shift.id

    def test_cash_refund_needs_an_open_shift(self, caja: Caja) -> None:
        set_policy(caja)
        open_(caja)
        sale = _sale(caja, [{"method": "cash", "amount": "30"}])
        close(caja, "130")
        with pytest.raises(ConflictError):
            give_back(
                caja,
                {"sale_id": sale.id, "lines": [{"line_id": sale.lines[0].id, "quantity": "1"}]},
            )
