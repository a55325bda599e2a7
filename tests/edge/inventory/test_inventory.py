from __future__ import annotations

import json
from decimal import Decimal

import pytest

from stocky.core.errors import FieldError, NotFoundError
from stocky.edge.inventory.queries import inventory_page
from stocky.edge.inventory.schemas import AdjustmentCreate, EntryCreate, ThresholdsIn
from stocky.edge.inventory.service import record_adjustment, record_entry, set_thresholds
from stocky.edge.store.timestamps import utc_now
from tests.edge.factories import Caja
from tests.edge.pos.test_sales import sell


def qty(caja: Caja, index: int) -> Decimal:
    page = caja.store.read(lambda c: inventory_page(c))
    return {i.product_id: i.quantity for i in page.items}[caja.products[index]["id"]]


class TestEntry:
    def test_entry_adds_stock_with_cost(self, caja: Caja) -> None:
        cmd = EntryCreate.model_validate(
            {
                "lines": [
                    {
                        "barcode": caja.products[1]["barcode"],
                        "quantity": "2.5",
                        "unit_cost": "18.40",
                    }
                ],
                "supplier": "Proveedor SA",
            }
        )
        doc = caja.store.write(
            lambda c: record_entry(c, cmd, user_id=caja.manager["id"], now=utc_now())
        )
        assert qty(caja, 1) == Decimal("12.500")
        payload = caja.store.read(
            lambda c: json.loads(c.execute("SELECT payload FROM sync_queue").fetchone()[0])
        )
        assert payload["type"] == "entry"
        assert payload["document_id"] == doc.id
        assert payload["supplier"] == "Proveedor SA"
        assert payload["movements"][0]["unit_cost"] == "18.40"
        assert payload["movements"][0]["quantity"] == "2.500"


class TestAdjustment:
    def test_count_is_a_delta_against_what_the_caja_showed(self, caja: Caja) -> None:
        # The person counted 7 while the screen said 10; a sale of 2 happened meanwhile.
        sell(
            caja,
            {
                "lines": [{"product_id": caja.products[0]["id"], "quantity": "2"}],
                "payments": [{"method": "cash", "amount": "20"}],
            },
        )
        cmd = AdjustmentCreate.model_validate(
            {"lines": [{"product_id": caja.products[0]["id"], "counted": "7", "expected": "10"}]}
        )
        doc = caja.store.write(
            lambda c: record_adjustment(c, cmd, user_id=caja.manager["id"], now=utc_now())
        )
        assert doc.movements[0].quantity == Decimal("-3.000")
        assert qty(caja, 0) == Decimal("5.000")

    def test_without_expected_the_current_quantity_is_used(self, caja: Caja) -> None:
        cmd = AdjustmentCreate.model_validate(
            {"lines": [{"product_id": caja.products[1]["id"], "counted": "10.250"}]}
        )
        caja.store.write(
            lambda c: record_adjustment(c, cmd, user_id=caja.manager["id"], now=utc_now())
        )
        assert qty(caja, 1) == Decimal("10.250")

    def test_whole_units_only_for_unit_products(self, caja: Caja) -> None:
        cmd = AdjustmentCreate.model_validate(
            {"lines": [{"product_id": caja.products[0]["id"], "counted": "1.5"}]}
        )
        with pytest.raises(FieldError) as info:
            caja.store.write(
                lambda c: record_adjustment(c, cmd, user_id=caja.manager["id"], now=utc_now())
            )
        assert info.value.field == "lines.0.counted"


class TestThresholds:
    def test_low_and_negative_flags(self, caja: Caja) -> None:
        product = caja.products[0]["id"]
        caja.store.write(
            lambda c: set_thresholds(
                c,
                product,
                ThresholdsIn(min_stock=Decimal(10), max_stock=Decimal(50)),
                user_id=caja.manager["id"],
                now=utc_now(),
            )
        )
        sell(
            caja,
            {
                "lines": [{"product_id": caja.products[2]["id"], "quantity": "11"}],
                "payments": [{"method": "cash", "amount": "110"}],
            },
        )
        low = caja.store.read(lambda c: inventory_page(c, status="low"))
        negative = caja.store.read(lambda c: inventory_page(c, status="negative"))
        assert {i.product_id for i in low.items} == {product, caja.products[2]["id"]}
        assert [i.product_id for i in negative.items] == [caja.products[2]["id"]]
        assert negative.items[0].negative
        assert negative.items[0].quantity == Decimal("-1.000")
        op = caja.store.read(
            lambda c: c.execute("SELECT kind, payload FROM sync_queue ORDER BY seq").fetchone()
        )
        assert op[0] == "inventory.thresholds"
        assert json.loads(op[1]) == {"product_id": product, "min": "10.000", "max": "50.000"}

    def test_unknown_product(self, caja: Caja) -> None:
        with pytest.raises(NotFoundError):
            caja.store.write(
                lambda c: set_thresholds(
                    c, "nope", ThresholdsIn(min_stock=Decimal(1)), user_id="u", now=utc_now()
                )
            )
