from __future__ import annotations

from decimal import Decimal

import pytest

from stocky.core.errors import ConflictError
from stocky.edge.pos.returns import record_return
from stocky.edge.pos.schemas import ReturnCreate
from stocky.edge.shifts.schemas import ShiftClose, ShiftOpen
from stocky.edge.shifts.service import close_shift, open_shift
from stocky.edge.store.timestamps import utc_now
from tests.edge.factories import Caja
from tests.edge.pos.test_sales import sell


class TestShift:
    def test_z_report_counts_sales_returns_and_cash(self, caja: Caja) -> None:
        user = caja.cashier["id"]
        shift = caja.store.write(
            lambda c: open_shift(
                c, ShiftOpen(opening_float=Decimal(100)), user_id=user, now=utc_now()
            )
        )
        sale = sell(
            caja,
            {
                "lines": [{"product_id": caja.products[0]["id"], "quantity": "2"}],
                "payments": [{"method": "cash", "amount": "50"}],
            },
        )
        assert sale.shift_id == shift.id
        sell(
            caja,
            {
                "lines": [{"product_id": caja.products[0]["id"], "quantity": "1"}],
                "payments": [{"method": "card", "amount": "10"}],
            },
        )
        cmd = ReturnCreate(sale_id=sale.id)
        caja.store.write(lambda c: record_return(c, cmd, user_id=user, now=utc_now()))
        with pytest.raises(ConflictError):
            caja.store.write(
                lambda c: open_shift(
                    c, ShiftOpen(opening_float=Decimal(0)), user_id=user, now=utc_now()
                )
            )
        closed = caja.store.write(
            lambda c: close_shift(
                c, ShiftClose(counted_cash=Decimal("99.50")), user_id=user, now=utc_now()
            )
        )
        z = closed.z_report
        assert z is not None
        assert z.sales_count == 2
        assert z.total == Decimal("30.00")
        assert z.payments == {
            "cash": Decimal("50.00"),
            "card": Decimal("10.00"),
            "transfer": Decimal("0.00"),
        }
        assert z.cash_in == Decimal("20.00")
        assert z.refunds["cash"] == Decimal("20.00")
        assert z.expected_cash == Decimal("100.00")
        assert z.difference == Decimal("-0.50")
        kinds = caja.store.read(
            lambda c: [r[0] for r in c.execute("SELECT kind FROM sync_queue ORDER BY seq")]
        )
        assert kinds[0] == "shift.open"
        assert kinds[-1] == "shift.close"
        with pytest.raises(ConflictError):
            caja.store.write(
                lambda c: close_shift(
                    c, ShiftClose(counted_cash=Decimal(0)), user_id=user, now=utc_now()
                )
            )
