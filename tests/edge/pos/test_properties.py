"""Whatever the sequence of operations: quantity = sum of movements, one op per operation,
returns never exceed what was sold."""

from __future__ import annotations

import sqlite3
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from stocky.core.errors import ConflictError
from stocky.edge.inventory.schemas import AdjustmentCreate, EntryCreate, ThresholdsIn
from stocky.edge.inventory.service import record_adjustment, record_entry, set_thresholds
from stocky.edge.pos.returns import record_return
from stocky.edge.pos.schemas import ReturnCreate, SaleCreate
from stocky.edge.pos.service import record_sale
from stocky.edge.store.timestamps import utc_now
from tests.edge.factories import create_activated_store

quantities = st.integers(min_value=1, max_value=5_000).map(lambda m: Decimal(m).scaleb(-3))
whole = st.integers(min_value=1, max_value=9).map(Decimal)


class CajaMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._dir = tempfile.TemporaryDirectory()
        self.caja = create_activated_store(Path(self._dir.name), products=4, stock_milli=None)
        self.user = self.caja.manager["id"]
        self.operations = 0
        self.sales: list[str] = []

    def teardown(self) -> None:
        self.caja.store.close()
        self._dir.cleanup()

    def _qty(self, index: int, weight_qty: Decimal, unit_qty: Decimal) -> Decimal:
        return weight_qty if self.caja.products[index]["unit"] == "weight" else unit_qty

    @rule(
        lines=st.lists(st.tuples(st.integers(0, 3), quantities, whole), min_size=1, max_size=5),
        extra_cash=st.integers(0, 10_000),
    )
    def sell(self, lines: list[tuple[int, Decimal, Decimal]], extra_cash: int) -> None:
        body = [
            {"product_id": self.caja.products[i]["id"], "quantity": self._qty(i, w, u)}
            for i, w, u in lines
        ]
        cmd = SaleCreate.model_validate(
            {"lines": body, "payments": [{"method": "cash", "amount": Decimal(1_000_000)}]}
        )
        sale = self.caja.store.write(
            lambda c: record_sale(c, cmd, user_id=self.user, now=utc_now())
        )
        self.sales.append(sale.id)
        self.operations += 1

    @precondition(lambda self: self.sales)
    @rule(pick=st.integers(0, 1_000), quantity=quantities, whole_return=st.booleans())
    def give_back(self, pick: int, quantity: Decimal, whole_return: bool) -> None:
        sale_id = self.sales[pick % len(self.sales)]
        line = self.caja.store.read(
            lambda c: c.execute(
                "SELECT id, product_id FROM transactions WHERE sale_id = ? AND type = 'sale'",
                (sale_id,),
            ).fetchone()
        )
        index = next(i for i, p in enumerate(self.caja.products) if p["id"] == line[1])
        qty = self._qty(index, quantity, Decimal(max(int(quantity), 1)))
        lines = None if whole_return else [{"line_id": line[0], "quantity": qty}]
        cmd = ReturnCreate.model_validate({"sale_id": sale_id, "lines": lines})
        try:
            self.caja.store.write(lambda c: record_return(c, cmd, user_id=self.user, now=utc_now()))
        except ConflictError:
            return  # beyond what is left: refused, and the write rolled back
        self.operations += 1

    @rule(index=st.integers(0, 3), quantity=quantities, units=whole)
    def receive(self, index: int, quantity: Decimal, units: Decimal) -> None:
        cmd = EntryCreate.model_validate(
            {
                "lines": [
                    {
                        "product_id": self.caja.products[index]["id"],
                        "quantity": self._qty(index, quantity, units),
                        "unit_cost": "1.00",
                    }
                ]
            }
        )
        self.caja.store.write(lambda c: record_entry(c, cmd, user_id=self.user, now=utc_now()))
        self.operations += 1

    @rule(index=st.integers(0, 3), counted=st.integers(0, 20), expected=st.integers(-5, 20))
    def count(self, index: int, counted: int, expected: int) -> None:
        cmd = AdjustmentCreate.model_validate(
            {
                "lines": [
                    {
                        "product_id": self.caja.products[index]["id"],
                        "counted": counted,
                        "expected": expected,
                    }
                ]
            }
        )
        self.caja.store.write(lambda c: record_adjustment(c, cmd, user_id=self.user, now=utc_now()))
        self.operations += 1

    @rule(index=st.integers(0, 3), low=st.integers(0, 10))
    def thresholds(self, index: int, low: int) -> None:
        pid = self.caja.products[index]["id"]
        cmd = ThresholdsIn(min_stock=Decimal(low), max_stock=None)
        self.caja.store.write(
            lambda c: set_thresholds(c, pid, cmd, user_id=self.user, now=utc_now())
        )
        self.operations += 1

    @invariant()
    def quantities_are_the_sum_of_movements(self) -> None:
        rows = self.caja.store.read(
            lambda c: c.execute(
                """
                SELECT p.id, coalesce(i.quantity_milli, 0),
                       coalesce((SELECT sum(quantity_milli) FROM transactions AS t
                                 WHERE t.product_id = p.id), 0)
                FROM products AS p LEFT JOIN inventory AS i ON i.product_id = p.id
                """
            ).fetchall()
        )
        for _, shown, total in rows:
            assert shown == total

    @invariant()
    def one_queue_entry_per_operation(self) -> None:
        def check(conn: sqlite3.Connection) -> None:
            assert conn.execute("SELECT count(*) FROM sync_queue").fetchone()[0] == self.operations
            orphans = conn.execute(
                """
                SELECT count(*) FROM (SELECT DISTINCT document_id FROM transactions) AS d
                WHERE (SELECT count(*) FROM sync_queue WHERE entity_id = d.document_id) <> 1
                """
            ).fetchone()[0]
            assert orphans == 0

        self.caja.store.read(check)

    @invariant()
    def returns_never_exceed_sales(self) -> None:
        over = self.caja.store.read(
            lambda c: c.execute(
                """
                SELECT count(*) FROM transactions AS s
                WHERE s.type = 'sale' AND -s.quantity_milli < coalesce(
                    (SELECT sum(r.quantity_milli) FROM transactions AS r
                     WHERE r.type = 'return' AND r.ref_id = s.id), 0)
                """
            ).fetchone()[0]
        )
        assert over == 0


CajaMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestCajaProperties = CajaMachine.TestCase
