"""Receipt numbers at the caja: the cloud's prefix + the gap-free local sequence (issue 12.6)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stocky.core.ops import SaleHeader
from stocky.core.receipts import format_receipt, parse_receipt
from stocky.edge.activation.store import adopt_receipt_prefix, receipt_prefix
from stocky.edge.pos.history import TicketQuery, find_tickets
from stocky.edge.pos.service import load_sale
from tests.edge.factories import Caja
from tests.edge.pos.test_sales import sell


def _sell(caja: Caja) -> Any:
    product = caja.products[0]
    return sell(
        caja,
        {
            "lines": [{"product_id": product["id"], "quantity": "1"}],
            "payments": [{"method": "card", "amount": "10"}],
        },
    )


def _header(caja: Caja, sale_id: str) -> dict[str, Any]:
    row = caja.store.read(
        lambda conn: conn.execute(
            "SELECT payload FROM sync_queue WHERE entity_id = ?", (sale_id,)
        ).fetchone()
    )
    header: dict[str, Any] = json.loads(row[0])["sale"]
    return header


class TestReadableNumber:
    @pytest.mark.parametrize(
        ("typed", "parsed"),
        [
            ("C01-000042", ("C01", 42)),
            ("#c01-42", ("C01", 42)),
            (" C12 7 ", ("C12", 7)),
            ("42", None),
            ("#42", None),
            ("Café", None),
            ("C01000042", None),
        ],
    )
    def test_parse(self, typed: str, parsed: tuple[str, int] | None) -> None:
        assert parse_receipt(typed) == parsed

    def test_format(self) -> None:
        assert format_receipt("C01", 42) == "C01-000042"
        assert format_receipt("C03", 1_234_567) == "C03-1234567"
        assert format_receipt(None, 42) == "42"


class TestPrefixAtTheCaja:
    def test_a_caja_without_prefix_prints_the_bare_number(self, caja: Caja) -> None:
        sale = _sell(caja)
        assert (sale.number, sale.receipt_prefix, sale.receipt) == (1, None, "1")
        assert _header(caja, sale.id)["receipt_prefix"] is None

    def test_prefix_from_the_cloud_prints_and_travels_in_the_op(self, caja: Caja) -> None:
        old = _sell(caja)
        assert caja.store.write(lambda conn: adopt_receipt_prefix(conn, "C02"))
        assert not caja.store.write(lambda conn: adopt_receipt_prefix(conn, "C02"))
        assert not caja.store.write(lambda conn: adopt_receipt_prefix(conn, "bad-prefix"))
        assert caja.store.read(receipt_prefix) == "C02"
        sale = _sell(caja)
        # One gap-free sequence: the prefix does not restart it.
        assert (sale.number, sale.receipt) == (2, "C02-000002")
        header = _header(caja, sale.id)
        assert header["receipt_prefix"] == "C02"
        assert SaleHeader.model_validate(header).receipt_prefix == "C02"
        # What was printed stays printed: the older ticket keeps its bare number.
        assert caja.store.read(lambda conn: load_sale(conn, old.id)).receipt == "1"
        assert caja.store.read(lambda conn: load_sale(conn, sale.id)).receipt == "C02-000002"

    def test_history_finds_the_full_readable_number(self, caja: Caja) -> None:
        caja.store.write(lambda conn: adopt_receipt_prefix(conn, "C07"))
        sales = [_sell(caja) for _ in range(3)]

        def found(text: str) -> list[str]:
            page = caja.store.read(lambda conn: find_tickets(conn, TicketQuery(text=text)))
            return [row.receipt for row in page.items]

        assert found("C07-000002") == ["C07-000002"]
        assert found("#c07-3") == ["C07-000003"]
        assert found("C08-000002") == []
        assert found("#1") == ["C07-000001"]
        assert sorted(found("")) == sorted(s.receipt for s in sales)


class TestOldPayloads:
    def test_a_header_without_prefix_stays_valid(self) -> None:
        header = {
            "id": "0190d7a0-0000-7000-8000-000000000001",
            "number": 5,
            "subtotal": "10.00",
            "discount": "0.00",
            "tax": "0.00",
            "total": "10.00",
            "paid": "10.00",
            "change": "0.00",
            "payments": [
                {"id": "0190d7a0-0000-7000-8000-000000000002", "method": "card", "amount": "10"}
            ],
        }
        assert SaleHeader.model_validate(header).receipt_prefix is None
        with pytest.raises(ValueError, match="receipt_prefix"):
            SaleHeader.model_validate({**header, "receipt_prefix": "c-1"})
