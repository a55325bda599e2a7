"""Every sale belongs to exactly one shift (issue 12): what the caja sells or refunds with no
shift open (a card sale under the "cash" policy, anything under "none") is adopted by the
next shift it opens, in the same write as the open; that shift's Z report counts it, says
how many, and shows its first and last receipts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stocky.core.errors import ConflictError
from stocky.core.receipts import format_receipt
from stocky.edge.pos.returns import record_return
from stocky.edge.pos.schemas import ReturnCreate
from stocky.edge.shifts.service import closed_shifts
from stocky.edge.store.timestamps import utc_now
from tests.edge.factories import Caja, create_activated_store
from tests.edge.pos.test_sales import sell
from tests.edge.shifts.money import close, open_, set_policy


def _sale(caja: Caja, method: str, qty: int = 1, extra_cents: int = 0) -> Any:
    amount = Decimal(1000 * qty + (extra_cents if method == "cash" else 0)) / 100
    return sell(
        caja,
        {
            "lines": [{"product_id": caja.products[0]["id"], "quantity": str(qty)}],
            "payments": [{"method": method, "amount": str(amount)}],
        },
    )


def _return(caja: Caja, sale: Any, qty: int = 1, refund: str | None = None) -> Any:
    body: dict[str, Any] = {
        "sale_id": sale.id,
        "lines": [{"line_id": sale.lines[0].id, "quantity": str(qty)}],
    }
    if refund:
        body["refund_method"] = refund
    cmd = ReturnCreate.model_validate(body)
    user = caja.cashier["id"]
    return caja.store.write(lambda c: record_return(c, cmd, user_id=user, now=utc_now()))


def _shift_of(caja: Caja, sale_id: str) -> str | None:
    row = caja.store.read(
        lambda c: c.execute("SELECT shift_id FROM sales WHERE id = ?", (sale_id,)).fetchone()
    )
    return None if row[0] is None else str(row[0])


def _open_payload(caja: Caja, shift_id: str) -> dict[str, Any]:
    row = caja.store.read(
        lambda c: c.execute(
            "SELECT payload FROM sync_queue WHERE kind = 'shift.open' AND entity_id = ?",
            (shift_id,),
        ).fetchone()
    )
    payload: dict[str, Any] = json.loads(row[0])
    return payload


def _prefix(caja: Caja, prefix: str | None) -> None:
    caja.store.write(
        lambda c: c.execute("UPDATE sede_info SET receipt_prefix = ? WHERE id = 1", (prefix,))
    )


class TestAdoption:
    def test_a_card_sale_with_no_shift_is_adopted_by_the_next_one(self, caja: Caja) -> None:
        set_policy(caja)  # "cash": a card sale needs no shift, a cash sale does
        _prefix(caja, "C01")
        with pytest.raises(ConflictError):
            _sale(caja, "cash")
        card = _sale(caja, "card", qty=2)
        assert card.shift_id is None
        shift = open_(caja, "100")
        assert (shift.adopted_sales, shift.adopted_returns) == (1, 0)
        assert _shift_of(caja, card.id) == shift.id
        # The op names what it took in, after the sale's own op in the queue.
        payload = _open_payload(caja, shift.id)
        assert payload["adopted_sales"] == [card.id]
        assert payload["adopted_returns"] == []
        cash = _sale(caja, "cash")
        z = close(caja, "110").z_report
        assert z.sales_count == 2
        assert z.total == Decimal("30.00")
        assert z.payments["card"] == Decimal("20.00")
        assert z.adopted_sales == 1
        assert (z.first_receipt, z.last_receipt) == (
            format_receipt("C01", card.number),
            format_receipt("C01", cash.number),
        )
        assert z.first_receipt == "C01-000001"
        assert z.expected_cash == Decimal("110.00")

    def test_a_return_with_no_shift_is_adopted_and_counted(self, caja: Caja) -> None:
        set_policy(caja, return_approval_whole_ticket=False)
        open_(caja, "0")
        sale = _sale(caja, "card", qty=3)
        close(caja, "0")
        back = _return(caja, sale, qty=1)  # refunded to the card: no shift needed
        assert back.shift_id is None
        shift = open_(caja, "0")
        assert (shift.adopted_sales, shift.adopted_returns) == (0, 1)
        assert _open_payload(caja, shift.id)["adopted_returns"] == [back.id]
        z = close(caja, "0").z_report
        assert (z.sales_count, z.returns_count, z.adopted_returns) == (0, 1, 1)
        assert z.refunds["card"] == Decimal("10.00")
        assert z.net == Decimal("-10.00")
        assert (z.first_receipt, z.last_receipt) == (None, None)

    def test_a_sale_of_a_closed_shift_is_never_taken(self, caja: Caja) -> None:
        first = open_(caja, "0")
        kept = _sale(caja, "card")
        close(caja, "0")
        second = open_(caja, "0")
        assert second.adopted_sales == 0
        assert _shift_of(caja, kept.id) == first.id
        assert _open_payload(caja, second.id)["adopted_sales"] == []

    def test_an_upgraded_cajas_old_shiftless_sales_are_not_adopted(self, caja: Caja) -> None:
        # Before adoption existed, a card sale with no shift stayed so; a later shift's Z
        # report never counted it. The first shift after the upgrade must not take it in.
        set_policy(caja, shift_required="none")
        legacy = _sale(caja, "cash")
        first = open_(caja, "0")
        caja.store.write(  # as the older version left it: never adopted
            lambda c: c.execute("UPDATE sales SET shift_id = NULL WHERE id = ?", (legacy.id,))
        )
        _sale(caja, "card")
        close(caja, "0")
        recent = _sale(caja, "card")
        second = open_(caja, "0")
        assert first.id != second.id
        assert second.adopted_sales == 1
        assert _open_payload(caja, second.id)["adopted_sales"] == [recent.id]
        assert _shift_of(caja, legacy.id) is None

    def test_a_ticket_of_another_caja_is_not_adopted(self, caja: Caja) -> None:
        sale = _sale(caja, "card")
        caja.store.write(
            lambda c: c.execute(
                "UPDATE sales SET origin = 'cloud', device_id = 'otra-caja' WHERE id = ?",
                (sale.id,),
            )
        )
        shift = open_(caja, "0")
        assert shift.adopted_sales == 0
        assert _shift_of(caja, sale.id) is None

    def test_a_caja_without_a_prefix_prints_bare_numbers(self, caja: Caja) -> None:
        _prefix(caja, None)
        open_(caja, "0")
        one, two = _sale(caja, "card"), _sale(caja, "card")
        z = close(caja, "0").z_report
        assert (z.first_receipt, z.last_receipt) == (str(one.number), str(two.number))


# A random day at the caja: shifts opened and closed, sales paid in cash or by card, returns
# refunded in cash or the way the sale was paid, under either policy.
STEP = st.one_of(
    st.tuples(st.just("open"), st.integers(0, 100_000)),
    st.tuples(st.just("close"), st.integers(0, 200_000)),
    st.tuples(
        st.just("sale"), st.integers(1, 3), st.sampled_from(["cash", "card"]), st.integers(0, 900)
    ),
    st.tuples(st.just("return"), st.integers(0, 50), st.booleans()),
)


@dataclass
class Day:
    """What the caja should hold: each sale's and return's shift, as the test sees them."""

    caja: Caja
    shift: str | None = None
    sales: list[Any] = field(default_factory=list)
    owner: dict[str, str | None] = field(default_factory=dict)  # sale or return -> shift
    adopted: dict[str, tuple[int, int]] = field(default_factory=dict)  # shift -> counts

    def step(self, step: tuple[Any, ...]) -> None:
        kind = step[0]
        if kind == "open" and self.shift is None:
            opened = open_(self.caja, str(Decimal(step[1]) / 100))
            self.shift = opened.id
            orphans = [k for k, v in self.owner.items() if v is None]
            kinds = [k in {s.id for s in self.sales} for k in orphans]
            self.adopted[opened.id] = (sum(kinds), len(kinds) - sum(kinds))
            for k in orphans:
                self.owner[k] = opened.id
        elif kind == "close" and self.shift is not None:
            close(self.caja, str(Decimal(step[1]) / 100))
            self.shift = None
        elif kind == "sale":
            _, qty, method, extra = step
            try:
                sale = _sale(self.caja, method, qty, extra)
            except ConflictError:
                assert self.shift is None  # the "cash" policy: a cash sale needs a shift
                assert method == "cash"
                return
            assert sale.shift_id == self.shift
            self.sales.append(sale)
            self.owner[sale.id] = self.shift
        elif kind == "return" and self.sales:
            _, pick, as_cash = step
            try:
                back = _return(self.caja, self.sales[pick % len(self.sales)], 1, as_cash and "cash")
            except ConflictError:
                return  # nothing left to return, cash beyond cash paid, or no shift for cash
            if Decimal(back.refund_total) > 0:
                assert back.shift_id == self.shift
                self.owner[back.id] = self.shift


def _z_adds_up(z: Any) -> None:
    assert z.net == z.total - z.refunds_total
    assert sum(z.net_by_method.values()) == z.net
    assert z.expected_cash == (
        z.opening_float + z.paid_in - z.paid_out + z.cash_in - z.refunds["cash"]
    )


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    policy=st.sampled_from(["cash", "none"]),
    steps=st.lists(STEP, min_size=1, max_size=16),
)
def test_every_sale_belongs_to_exactly_one_shift(
    tmp_path_factory: pytest.TempPathFactory, policy: str, steps: list[Any]
) -> None:
    """Whatever the order of opens, closes, sales and returns: each sale and refund is in the
    shift that was open when it was made, or else the next one opened; every closed shift's
    Z adds up, counts exactly its sales (adopted included) and names its first and last
    receipts; and the Z reports together count every sale once."""
    caja = create_activated_store(tmp_path_factory.mktemp("day"), products=1, stock_milli=10**9)
    try:
        set_policy(caja, shift_required=policy, return_approval_whole_ticket=False)
        day = Day(caja)
        for step in steps:
            day.step(step)
        rows = caja.store.read(
            lambda c: (
                dict(c.execute("SELECT id, shift_id FROM sales").fetchall())
                | dict(
                    c.execute(
                        "SELECT return_id, shift_id FROM sale_payments WHERE return_id IS NOT NULL"
                    ).fetchall()
                )
            )
        )
        assert rows == day.owner
        shifts = caja.store.read(lambda c: closed_shifts(c, limit=200))
        totals = {s.id: Decimal(s.total) for s in day.sales}
        counted = Decimal(0)
        for shift in shifts:
            z = shift.z_report
            assert z is not None
            _z_adds_up(z)
            mine = [s for s in day.sales if day.owner[s.id] == shift.id]
            assert z.sales_count == len(mine)
            assert z.total == sum((totals[s.id] for s in mine), Decimal(0))
            assert (z.adopted_sales, z.adopted_returns) == day.adopted[shift.id]
            numbers = sorted(s.number for s in mine)
            assert (z.first_receipt, z.last_receipt) == (
                (str(numbers[0]), str(numbers[-1])) if numbers else (None, None)
            )
            counted += z.total
        in_closed = {s.id for s in shifts}
        assert counted == sum(
            (totals[k] for k, v in day.owner.items() if v in in_closed and k in totals),
            Decimal(0),
        )
    finally:
        caja.store.close()
