"""The quantity guard at the local API (issue 12): a sale line above the caja policy's
quantity_confirm_above is a 422 naming that line's quantity unless the caller confirms it;
lines of one product add up, as the counter's cart merges them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.edge.factories import Caja
from tests.edge.shifts.money import set_policy

pytestmark = pytest.mark.asyncio


def _sale(caja: Caja, *quantities: str, **extra: Any) -> dict[str, Any]:
    unit = caja.products[0]
    return {
        "lines": [{"product_id": unit["id"], "quantity": q} for q in quantities],
        "payments": [{"method": "cash", "amount": "100000"}],
        **extra,
    }


async def test_above_the_limit_names_the_line(
    api: httpx.AsyncClient, caja: Caja, cashier: dict[str, str]
) -> None:
    set_policy(caja, shift_required="none", quantity_confirm_above={"unit": 100, "weight": 50})
    r = await api.post("/sales", json=_sale(caja, "101"), headers=cashier)
    assert r.status_code == 422, r.text
    assert r.json()["fields"][0]["field"] == "lines.0.quantity"
    # Two lines of the same product: the second takes it above the limit.
    r = await api.post("/sales", json=_sale(caja, "60", "41"), headers=cashier)
    assert r.status_code == 422, r.text
    assert r.json()["fields"][0]["field"] == "lines.1.quantity"
    assert caja.store.read(lambda c: c.execute("SELECT count(*) FROM sales").fetchone()[0]) == 0


async def test_at_the_limit_or_confirmed_is_sold(
    api: httpx.AsyncClient, caja: Caja, cashier: dict[str, str]
) -> None:
    set_policy(caja, shift_required="none", quantity_confirm_above={"unit": 100})
    r = await api.post("/sales", json=_sale(caja, "100"), headers=cashier)
    assert r.status_code == 201, r.text
    body = _sale(caja, "500", confirm_large_quantities=True)
    r = await api.post("/sales", json=body, headers=cashier)
    assert r.status_code == 201, r.text
    assert Decimal(r.json()["lines"][0]["quantity"]) == 500


async def test_no_limit_for_the_unit_means_no_guard(
    api: httpx.AsyncClient, caja: Caja, cashier: dict[str, str]
) -> None:
    set_policy(caja, shift_required="none", quantity_confirm_above={"weight": 50})
    r = await api.post("/sales", json=_sale(caja, "1000"), headers=cashier)
    assert r.status_code == 201, r.text
