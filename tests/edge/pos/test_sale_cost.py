"""The caja records the cost at the time of sale: each sale line's op carries the product's
cost then (for the cloud's margin reports), a later cost change does not touch it, and a
return carries its sold line's cost; a product with no cost sends none (the cloud fills it)."""

from __future__ import annotations

import json
from typing import Any

from tests.edge.factories import Caja
from tests.edge.pos.test_returns import give_back
from tests.edge.pos.test_sales import sell


def queued_movements(caja: Caja) -> list[dict[str, Any]]:
    rows = caja.store.read(lambda c: c.execute("SELECT payload FROM sync_queue").fetchall())
    return [m for r in rows for m in json.loads(r["payload"])["movements"]]


def set_cost(caja: Caja, product_id: str, cents: int | None) -> None:
    caja.store.write(
        lambda c: c.execute("UPDATE products SET cost_cents = ? WHERE id = ?", (cents, product_id))
    )


def test_sale_and_return_lines_carry_the_cost_of_the_moment(caja: Caja) -> None:
    costed, bare = caja.products[0]["id"], caja.products[1]["id"]
    set_cost(caja, costed, 712)
    set_cost(caja, bare, None)
    sale = sell(
        caja,
        {
            "lines": [
                {"product_id": costed, "quantity": "2"},
                {"product_id": bare, "quantity": "0.500"},
            ],
            "payments": [{"method": "cash", "amount": "100"}],
        },
    )
    set_cost(caja, costed, 999)  # a later cost change is not the cost of that sale
    give_back(caja, {"sale_id": sale.id, "lines": [{"line_id": sale.lines[0].id, "quantity": "1"}]})
    moves = queued_movements(caja)
    assert [(m["type"], m["product_id"], m["unit_cost"]) for m in moves] == [
        ("sale", costed, "7.12"),
        ("sale", bare, None),
        ("return", costed, "7.12"),
    ]
