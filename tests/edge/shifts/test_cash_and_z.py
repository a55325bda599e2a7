"""Issue 12 items 2 and 10: cash in/out of a shift, the Z report's arithmetic, reprints."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stocky.core.errors import ConflictError
from stocky.edge.pos.returns import record_return
from stocky.edge.pos.schemas import ReturnCreate
from stocky.edge.shifts.service import closed_shifts, get_shift
from stocky.edge.store.timestamps import utc_now
from tests.edge.factories import Caja, create_activated_store
from tests.edge.pos.test_sales import sell
from tests.edge.shifts.money import close, move, open_, set_policy


class TestCashMovements:
    def test_in_and_out_with_a_reason_reach_the_queue_and_the_z(self, caja: Caja) -> None:
        set_policy(caja)
        with pytest.raises(ConflictError):
            move(caja, "in", "10")
        shift = open_(caja, "100")
        paid_in = move(caja, "in", "50", "sencillo del banco")
        move(caja, "out", "30", "pago a proveedor")
        with pytest.raises(ConflictError):
            move(caja, "out", "1000", "más de lo que hay")
        ops = caja.store.read(
            lambda c: c.execute(
                "SELECT kind, payload FROM sync_queue WHERE kind = 'cash.movement' ORDER BY seq"
            ).fetchall()
        )
        assert len(ops) == 2
        first = json.loads(ops[0][1])
        assert first == {
            "id": paid_in.id,
            "shift_id": shift.id,
            "type": "in",
            "amount": "50.00",
            "reason": "sencillo del banco",
            "user_id": caja.cashier["id"],
            "client_ts": first["client_ts"],
        }
        z = close(caja, "120").z_report
        assert (z.paid_in, z.paid_out, z.expected_cash) == (
            Decimal("50.00"),
            Decimal("30.00"),
            Decimal("120.00"),
        )
        assert [m.reason for m in z.cash_movements] == ["sencillo del banco", "pago a proveedor"]
        assert (z.business, z.sede, z.caja) == ("Tienda Demo", "Centro", "Caja 1")

    def test_closed_shifts_list_newest_first_for_reprint(self, caja: Caja) -> None:
        first = open_(caja, "10")
        close(caja, "10")
        second = open_(caja, "20")
        close(caja, "20")
        listed = caja.store.read(lambda c: closed_shifts(c))
        assert [s.id for s in listed] == [second.id, first.id]
        assert caja.store.read(lambda c: get_shift(c, first.id)).z_report.opening_float == 10


STEP = st.one_of(
    st.tuples(
        st.just("sale"),
        st.integers(1, 4),
        st.sampled_from(["cash", "card", "transfer", "mixed"]),
        st.integers(0, 3000),
    ),
    st.tuples(st.just("return"), st.integers(0, 20), st.integers(1, 2), st.booleans()),
    st.tuples(st.just("in"), st.integers(1, 50_000)),
    st.tuples(st.just("out"), st.integers(1, 50_000)),
)


def _step(caja: Caja, step: tuple[Any, ...], sales: list[Any]) -> None:
    kind = step[0]
    if kind == "sale":
        _, qty, method, extra = step
        total = 1000 * qty  # cents: qty x 10.00
        if method == "mixed":
            payments = [
                {"method": "card", "amount": str(Decimal(total // 2) / 100)},
                {"method": "cash", "amount": str(Decimal(total - total // 2 + extra) / 100)},
            ]
        else:
            amount = total + (extra if method == "cash" else 0)
            payments = [{"method": method, "amount": str(Decimal(amount) / 100)}]
        lines = [{"product_id": caja.products[0]["id"], "quantity": str(qty)}]
        sales.append(sell(caja, {"lines": lines, "payments": payments}))
    elif kind == "return" and sales:
        _, pick, qty, as_cash = step
        sale = sales[pick % len(sales)]
        line = sale.lines[0]
        body: dict[str, Any] = {
            "sale_id": sale.id,
            "lines": [{"line_id": line.id, "quantity": str(qty)}],
        }
        if as_cash:
            body["refund_method"] = "cash"
        cmd = ReturnCreate.model_validate(body)
        try:
            caja.store.write(
                lambda c: record_return(
                    c, cmd, user_id=caja.cashier["id"], now=utc_now(), approved_by=None
                )
            )
        except ConflictError:
            pass  # more than is left, or more cash than cash paid: refused, nothing moved
    elif kind in ("in", "out"):
        try:
            move(caja, kind, str(Decimal(step[1]) / 100), "motivo")
        except ConflictError:
            pass  # out beyond the drawer


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    opening=st.integers(0, 500_000),
    steps=st.lists(STEP, min_size=1, max_size=12),
    counted=st.integers(0, 2_000_000),
)
def test_z_report_adds_up(tmp_path: Path, opening: int, steps: list[Any], counted: int) -> None:
    """sales - returns = net; methods sum to net; expected cash = float + cash in - cash out
    + cash sales - cash refunds, against the rows themselves."""
    caja = create_activated_store(tmp_path / new_dir(tmp_path), products=1, stock_milli=10**9)
    try:
        set_policy(caja, return_approval_whole_ticket=False)
        open_(caja, str(Decimal(opening) / 100))
        sales: list[Any] = []
        for step in steps:
            _step(caja, step, sales)
        z = close(caja, str(Decimal(counted) / 100)).z_report
        assert z.net == z.total - z.refunds_total
        assert sum(z.net_by_method.values()) == z.net
        assert z.net_by_method["cash"] == z.cash_in - z.refunds["cash"]
        assert z.expected_cash == (
            z.opening_float + z.paid_in - z.paid_out + z.cash_in - z.refunds["cash"]
        )
        assert z.difference == z.counted_cash - z.expected_cash
        # The same figures straight from the rows.
        rows = caja.store.read(
            lambda c: (
                c.execute("SELECT coalesce(sum(total_cents), 0) FROM sales").fetchone()[0],
                c.execute(
                    "SELECT coalesce(-sum(amount_cents), 0) FROM sale_payments"
                    " WHERE amount_cents < 0"
                ).fetchone()[0],
                c.execute(
                    "SELECT coalesce(sum(CASE type WHEN 'in' THEN amount_cents"
                    " ELSE -amount_cents END), 0) FROM cash_movements"
                ).fetchone()[0],
            )
        )
        assert z.total == Decimal(rows[0]) / 100
        assert z.refunds_total == Decimal(rows[1]) / 100
        assert z.paid_in - z.paid_out == Decimal(rows[2]) / 100
        assert z.sales_count == len(sales)
    finally:
        caja.store.close()


_counter = iter(range(10**9))


def new_dir(tmp_path: Path) -> str:
    return f"ex{next(_counter)}"
