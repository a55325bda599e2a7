from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from stocky.core.errors import ConflictError, NotFoundError
from stocky.edge.pos.returns import record_return
from stocky.edge.pos.schemas import ReturnCreate
from stocky.edge.pos.service import load_sale
from stocky.edge.store.timestamps import utc_now
from tests.edge.factories import Caja
from tests.edge.pos.test_sales import sell


def give_back(caja: Caja, body: dict[str, Any]) -> Any:
    cmd = ReturnCreate.model_validate(body)
    return caja.store.write(
        lambda conn: record_return(conn, cmd, user_id=caja.cashier["id"], now=utc_now())
    )


def stock(caja: Caja, product_id: str) -> int:
    return int(
        caja.store.read(
            lambda c: c.execute(
                "SELECT quantity_milli FROM inventory WHERE product_id = ?", (product_id,)
            ).fetchone()[0]
        )
    )


@pytest.fixture
def sale(caja: Caja) -> Any:
    # 3 units at 10.00 with a 1.00 discount: net 29.00, which does not split evenly in 3.
    return sell(
        caja,
        {
            "lines": [
                {"product_id": caja.products[0]["id"], "quantity": "3", "discount": "1"},
                {"product_id": caja.products[1]["id"], "quantity": "0.500"},
            ],
            "payments": [{"method": "cash", "amount": "50"}],
        },
    )


class TestReturn:
    def test_partial_returns_add_up_to_the_line_net(self, caja: Caja, sale: Any) -> None:
        line = sale.lines[0]
        refunds = [
            give_back(
                caja, {"sale_id": sale.id, "lines": [{"line_id": line.id, "quantity": "1"}]}
            ).refund_total
            for _ in range(3)
        ]
        assert refunds == [Decimal("9.67"), Decimal("9.66"), Decimal("9.67")]
        assert sum(refunds) == line.total
        loaded = caja.store.read(lambda c: load_sale(c, sale.id))
        assert loaded.status == "partially_returned"
        assert loaded.lines[0].returned_quantity == Decimal("3.000")
        assert sum(r.amount for r in loaded.refunds) == Decimal("29.00")

    def test_never_more_than_sold_across_returns(self, caja: Caja, sale: Any) -> None:
        product = caja.products[0]["id"]
        give_back(caja, {"sale_id": sale.id, "lines": [{"product_id": product, "quantity": "2"}]})
        with pytest.raises(ConflictError):
            give_back(
                caja, {"sale_id": sale.id, "lines": [{"product_id": product, "quantity": "2"}]}
            )
        assert stock(caja, product) == 10_000 - 3_000 + 2_000

    def test_whole_return_restores_stock_and_marks_the_sale(self, caja: Caja, sale: Any) -> None:
        give_back(
            caja,
            {
                "sale_id": sale.id,
                "lines": [{"product_id": caja.products[1]["id"], "quantity": "0.2"}],
            },
        )
        result = give_back(caja, {"sale_id": sale.id, "refund_method": "cash"})
        assert [line.quantity for line in result.lines] == [Decimal("3.000"), Decimal("0.300")]
        assert stock(caja, caja.products[0]["id"]) == 10_000
        assert stock(caja, caja.products[1]["id"]) == 10_000
        assert caja.store.read(lambda c: load_sale(c, sale.id)).status == "returned"
        with pytest.raises(ConflictError):
            give_back(caja, {"sale_id": sale.id})

    def test_unknown_sale_or_line_is_not_found(self, caja: Caja, sale: Any) -> None:
        with pytest.raises(NotFoundError):
            give_back(caja, {"sale_id": "nope"})
        with pytest.raises(NotFoundError):
            give_back(caja, {"sale_id": sale.id, "lines": [{"line_id": "x", "quantity": "1"}]})

    def test_one_op_per_return(self, caja: Caja, sale: Any) -> None:
        result = give_back(caja, {"sale_id": sale.id})
        kinds = caja.store.read(
            lambda c: c.execute(
                "SELECT entity_id FROM sync_queue WHERE kind = 'transaction.create' ORDER BY seq"
            ).fetchall()
        )
        assert [k[0] for k in kinds] == [sale.id, result.id]
