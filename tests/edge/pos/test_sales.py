from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from typing import Any

import pytest

from stocky.core.errors import FieldError, NotFoundError
from stocky.edge.pos.schemas import SaleCreate
from stocky.edge.pos.service import load_sale, record_sale
from stocky.edge.store.timestamps import utc_now
from tests.edge.factories import Caja


def sell(caja: Caja, body: dict[str, Any]) -> Any:
    cmd = SaleCreate.model_validate(body)
    return caja.store.write(
        lambda conn: record_sale(conn, cmd, user_id=caja.cashier["id"], now=utc_now())
    )


def counts(conn: sqlite3.Connection) -> tuple[int, ...]:
    tables = ("sales", "sale_payments", "transactions", "sync_queue", "audit_logs")
    return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables)


class TestSale:
    def test_totals_are_exact_and_tax_is_included(self, caja: Caja) -> None:
        unit, weight = caja.products[0], caja.products[1]
        sale = sell(
            caja,
            {
                "lines": [
                    {"product_id": unit["id"], "quantity": "3", "discount": "1.00"},
                    {"barcode": weight["barcode"], "quantity": "0.375"},
                ],
                "payments": [
                    {"method": "card", "amount": "20"},
                    {"method": "cash", "amount": "20"},
                ],
            },
        )
        # 3 x 10.00 - 1.00 = 29.00; 0.375 kg x 25.50 = 9.5625 -> 9.56 (half up)
        assert sale.subtotal == Decimal("39.56")
        assert sale.discount == Decimal("1.00")
        assert sale.total == Decimal("38.56")
        # IVA inside 29.00 at 19%: 29 x 0.19 / 1.19 = 4.63; the weight product has none
        assert sale.tax == Decimal("4.63")
        assert sale.paid == Decimal("40.00")
        assert sale.change == Decimal("1.44")
        assert sale.number == 1
        assert [line.product_version for line in sale.lines] == [1, 1]

    def test_one_write_holds_rows_inventory_audit_and_one_op(self, caja: Caja) -> None:
        product = caja.products[1]
        sale = sell(
            caja,
            {
                "lines": [{"product_id": product["id"], "quantity": "1.250"}],
                "payments": [{"method": "cash", "amount": "50"}],
            },
        )

        def check(conn: sqlite3.Connection) -> None:
            qty = conn.execute(
                "SELECT quantity_milli FROM inventory WHERE product_id = ?", (product["id"],)
            ).fetchone()[0]
            assert qty == 10_000 - 1_250
            ops = conn.execute("SELECT * FROM sync_queue").fetchall()
            assert len(ops) == 1
            assert ops[0]["kind"] == "transaction.create"
            assert ops[0]["entity_id"] == sale.id
            payload = json.loads(ops[0]["payload"])
            assert payload["type"] == "sale"
            assert payload["sale"]["total"] == "31.88"
            assert payload["sale"]["payments"][0]["amount"] == "50.00"
            move = payload["movements"][0]
            assert move["quantity"] == "-1.250"
            assert move["unit_price"] == "25.50"
            assert move["product_version"] == 1
            audit = conn.execute("SELECT * FROM audit_logs").fetchall()
            assert [a["action"] for a in audit] == ["sale.create"]

        caja.store.read(check)

    def test_receipt_numbers_are_sequential(self, caja: Caja) -> None:
        body = {
            "lines": [{"product_id": caja.products[0]["id"], "quantity": "1"}],
            "payments": [{"method": "cash", "amount": "10"}],
        }
        numbers = [sell(caja, body).number for _ in range(3)]
        assert numbers == [1, 2, 3]

    def test_sales_never_fail_for_lack_of_stock(self, caja: Caja) -> None:
        product = caja.products[0]
        sell(
            caja,
            {
                "lines": [{"product_id": product["id"], "quantity": "12"}],
                "payments": [{"method": "cash", "amount": "120"}],
            },
        )
        qty = caja.store.read(
            lambda c: c.execute(
                "SELECT quantity_milli FROM inventory WHERE product_id = ?", (product["id"],)
            ).fetchone()[0]
        )
        assert qty == -2_000

    def test_load_sale_reads_back_what_was_recorded(self, caja: Caja) -> None:
        sale = sell(
            caja,
            {
                "lines": [{"product_id": caja.products[0]["id"], "quantity": "2"}],
                "payments": [{"method": "transfer", "amount": "20"}],
            },
        )
        loaded = caja.store.read(lambda c: load_sale(c, sale.id))
        assert loaded.model_dump(exclude={"op_id"}) == sale.model_dump(exclude={"op_id"})


class TestSaleRefused:
    @pytest.mark.parametrize(
        ("body", "field"),
        [
            (
                {
                    "lines": [{"i": 0, "quantity": "1"}],
                    "payments": [{"method": "cash", "amount": "5"}],
                },
                "payments",
            ),
            (
                {
                    "lines": [{"i": 0, "quantity": "1"}],
                    "payments": [{"method": "card", "amount": "11"}],
                },
                "payments",
            ),
            (
                {
                    "lines": [{"i": 0, "quantity": "1", "discount": "10.01"}],
                    "payments": [{"method": "cash", "amount": "10"}],
                },
                "lines.0.discount",
            ),
            (
                {
                    "lines": [{"i": 0, "quantity": "1.5"}],
                    "payments": [{"method": "cash", "amount": "20"}],
                },
                "lines.0.quantity",
            ),
        ],
    )
    def test_business_rules_name_the_field(
        self, caja: Caja, body: dict[str, Any], field: str
    ) -> None:
        for line in body["lines"]:
            line["product_id"] = caja.products[line.pop("i")]["id"]
        before = caja.store.read(counts)
        with pytest.raises(FieldError) as info:
            sell(caja, body)
        assert info.value.field == field
        assert caja.store.read(counts) == before

    def test_unknown_barcode_is_not_found_and_writes_nothing(self, caja: Caja) -> None:
        before = caja.store.read(counts)
        with pytest.raises(NotFoundError):
            sell(
                caja,
                {
                    "lines": [
                        {"product_id": caja.products[0]["id"], "quantity": "1"},
                        {"barcode": "0000", "quantity": "1"},
                    ],
                    "payments": [{"method": "cash", "amount": "100"}],
                },
            )
        assert caja.store.read(counts) == before
