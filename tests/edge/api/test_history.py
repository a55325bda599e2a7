"""Sales history at the caja: tickets found by number, amount or product, newest first."""

from __future__ import annotations

import httpx
import pytest
import pytest_asyncio

from tests.edge.factories import Caja

pytestmark = pytest.mark.asyncio


async def _sell(api: httpx.AsyncClient, who: dict[str, str], barcode: str, qty: str) -> dict:
    # The factory's unit products cost 10.00: pay the exact total by card.
    body = {
        "lines": [{"barcode": barcode, "quantity": qty}],
        "payments": [{"method": "card", "amount": f"{int(qty) * 10}.00"}],
    }
    response = await api.post("/sales", json=body, headers=who)
    assert response.status_code == 201, response.text
    sale: dict = response.json()
    return sale


@pytest_asyncio.fixture
async def tickets(api: httpx.AsyncClient, caja: Caja, cashier: dict[str, str]) -> list[dict]:
    await api.post("/shifts/open", json={"opening_float": "0"}, headers=cashier)
    first = await _sell(api, cashier, caja.products[0]["barcode"], "1")
    second = await _sell(api, cashier, caja.products[0]["barcode"], "3")
    third = await _sell(api, cashier, caja.products[2]["barcode"], "2")
    return [first, second, third]


class TestHistory:
    async def test_lists_tickets_newest_first(
        self, api: httpx.AsyncClient, cashier: dict[str, str], tickets: list[dict]
    ) -> None:
        response = await api.get("/sales", headers=cashier)
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        assert [i["number"] for i in items] == [t["number"] for t in reversed(tickets)]
        assert items[0]["lines"] == 1
        assert items[0]["methods"] == ["card"]
        assert items[0]["total"] == tickets[2]["total"]

    async def test_finds_by_number_amount_and_product(
        self,
        api: httpx.AsyncClient,
        caja: Caja,
        cashier: dict[str, str],
        tickets: list[dict],
    ) -> None:
        async def numbers(q: str) -> list[int]:
            response = await api.get("/sales", params={"q": q}, headers=cashier)
            assert response.status_code == 200, response.text
            return [i["number"] for i in response.json()["items"]]

        assert await numbers(f"#{tickets[1]['number']}") == [tickets[1]["number"]]
        # "30.00" is the second ticket's total (3 x 10.00), typed as a person would.
        assert tickets[1]["total"] == "30.00"
        assert await numbers("30,00") == [tickets[1]["number"]]
        assert await numbers(caja.products[2]["name"]) == [tickets[2]["number"]]
        assert await numbers(caja.products[0]["sku"]) == [
            tickets[1]["number"],
            tickets[0]["number"],
        ]
        assert await numbers("%") == []

    async def test_pages_and_bounds(
        self, api: httpx.AsyncClient, cashier: dict[str, str], tickets: list[dict]
    ) -> None:
        page = await api.get("/sales", params={"limit": 2, "offset": 2}, headers=cashier)
        assert [i["number"] for i in page.json()["items"]] == [tickets[0]["number"]]
        refused = await api.get("/sales", params={"limit": 0}, headers=cashier)
        assert refused.status_code == 422
        assert "limit" in refused.json()["message"]

    async def test_needs_a_session(self, api: httpx.AsyncClient) -> None:
        assert (await api.get("/sales")).status_code == 401
