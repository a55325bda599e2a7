from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from stocky.edge.store.timestamps import to_iso
from tests.edge.factories import Caja

pytestmark = pytest.mark.asyncio


def sale_body(caja: Caja, quantity: str = "2") -> dict[str, object]:
    return {
        "lines": [{"barcode": caja.products[0]["barcode"], "quantity": quantity}],
        "payments": [{"method": "cash", "amount": "50"}],
    }


class TestAuth:
    async def test_status_needs_no_login(self, api: httpx.AsyncClient, caja: Caja) -> None:
        response = await api.get("/status")
        assert response.status_code == 200
        body = response.json()
        assert body["activated"] is True
        assert body["sede"]["sede_id"] == caja.sede["sede_id"]
        assert body["pending_ops"] == 0
        assert body["oldest_pending_age_seconds"] is None

    async def test_operations_need_a_session(self, api: httpx.AsyncClient, caja: Caja) -> None:
        assert (await api.post("/sales", json=sale_body(caja))).status_code == 401
        response = await api.get("/inventory", headers={"Authorization": "Bearer nope"})
        assert response.status_code == 401
        assert response.json()["error"] == "unauthorized"

    async def test_wrong_password(self, api: httpx.AsyncClient) -> None:
        response = await api.post(
            "/login", json={"email": "cajero@example.com", "password": "wrong"}
        )
        assert response.status_code == 401

    async def test_login_answers_the_clouds_words(self, api: httpx.AsyncClient) -> None:
        body = {"email": "cajero@example.com", "password": "correct horse battery"}
        answer = (await api.post("/login", json=body)).json()
        assert answer["token_type"] == "bearer"
        assert answer["access_token"]
        # `token` is the deprecated duplicate older clients read, for one release.
        assert answer["token"] == answer["access_token"]
        headers = {"Authorization": f"Bearer {answer['access_token']}"}
        assert (await api.get("/inventory", headers=headers)).status_code == 200
        schema = (await api.get("/openapi.json")).json()["components"]["schemas"]["LoginOut"]
        assert schema["properties"]["token"]["deprecated"] is True

    async def test_idle_session_expires_and_logout_ends_it(
        self, api: httpx.AsyncClient, caja: Caja, cashier: dict[str, str]
    ) -> None:
        assert (await api.get("/inventory", headers=cashier)).status_code == 200
        past = to_iso(datetime.now(UTC) - timedelta(seconds=1))
        caja.store.write(lambda c: c.execute("UPDATE auth_session SET expires_at = ?", (past,)))
        assert (await api.get("/inventory", headers=cashier)).status_code == 401
        fresh = {
            "Authorization": (
                await api.post(
                    "/login",
                    json={"email": "cajero@example.com", "password": "correct horse battery"},
                )
            ).json()["access_token"]
        }
        headers = {"Authorization": f"Bearer {fresh['Authorization']}"}
        assert (await api.post("/logout", headers=headers)).status_code == 204
        assert (await api.get("/inventory", headers=headers)).status_code == 401

    async def test_cashier_cannot_adjust(
        self, api: httpx.AsyncClient, caja: Caja, cashier: dict[str, str]
    ) -> None:
        body = {"lines": [{"product_id": caja.products[0]["id"], "counted": "1"}]}
        assert (await api.post("/adjustments", json=body, headers=cashier)).status_code == 403


class TestSales:
    async def test_sale_then_receipt_then_summary(
        self, api: httpx.AsyncClient, caja: Caja, cashier: dict[str, str]
    ) -> None:
        response = await api.post("/sales", json=sale_body(caja), headers=cashier)
        assert response.status_code == 201, response.text
        sale = response.json()
        assert sale["total"] == "20.00"
        assert sale["change"] == "30.00"
        assert sale["number"] == 1
        receipt = await api.get(f"/sales/{sale['id']}", headers=cashier)
        assert receipt.json()["lines"][0]["quantity"] == "2.000"
        summary = (await api.get("/summary", headers=cashier)).json()
        assert summary["sales_count"] == 1
        assert summary["payments"]["cash"] == "50.00"
        assert summary["cash_in"] == "20.00"
        status = (await api.get("/status")).json()
        assert status["pending_ops"] == 1
        assert status["oldest_pending_age_seconds"] >= 0

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"lines": [], "payments": []}, "lines"),
            ({"lines": [{"barcode": "1", "quantity": "-1"}], "payments": []}, "lines.0.quantity"),
            (
                {"lines": [{"barcode": "1", "quantity": "1.0001"}], "payments": []},
                "lines.0.quantity",
            ),
            (
                {
                    "lines": [{"barcode": "1", "quantity": 1}],
                    "payments": [{"method": "bitcoin", "amount": "1"}],
                },
                "payments.0.method",
            ),
            ({"lines": [{"barcode": "1", "quantity": 1}], "payments": [], "extra": 1}, "extra"),
        ],
    )
    async def test_validation_names_the_field(
        self, api: httpx.AsyncClient, cashier: dict[str, str], body: object, field: str
    ) -> None:
        response = await api.post("/sales", json=body, headers=cashier)
        assert response.status_code == 422
        assert response.json()["fields"][0]["field"] == field

    async def test_business_rule_is_422_with_field(
        self, api: httpx.AsyncClient, caja: Caja, cashier: dict[str, str]
    ) -> None:
        body = sale_body(caja)
        body["payments"] = [{"method": "card", "amount": "25"}]
        response = await api.post("/sales", json=body, headers=cashier)
        assert response.status_code == 422
        assert response.json()["fields"][0]["field"] == "payments"

    async def test_unknown_barcode_is_404(
        self, api: httpx.AsyncClient, cashier: dict[str, str]
    ) -> None:
        body = {
            "lines": [{"barcode": "999", "quantity": "1"}],
            "payments": [{"method": "cash", "amount": "1"}],
        }
        response = await api.post("/sales", json=body, headers=cashier)
        assert response.status_code == 404
        assert response.json()["field"] == "lines.0.barcode"
        assert (await api.get("/sales/unknown", headers=cashier)).status_code == 404

    async def test_malformed_json_is_400(
        self, api: httpx.AsyncClient, cashier: dict[str, str]
    ) -> None:
        response = await api.post(
            "/sales",
            content=b'{"lines": [',
            headers={**cashier, "content-type": "application/json"},
        )
        assert response.status_code == 400

    async def test_return_beyond_sold_is_409(
        self, api: httpx.AsyncClient, caja: Caja, cashier: dict[str, str]
    ) -> None:
        sale = (await api.post("/sales", json=sale_body(caja), headers=cashier)).json()
        line = sale["lines"][0]["id"]
        ok = await api.post(
            "/returns",
            headers=cashier,
            json={"sale_id": sale["id"], "lines": [{"line_id": line, "quantity": "1"}]},
        )
        assert ok.status_code == 201
        assert ok.json()["refund_total"] == "10.00"
        too_much = await api.post(
            "/returns",
            headers=cashier,
            json={"sale_id": sale["id"], "lines": [{"line_id": line, "quantity": "2"}]},
        )
        assert too_much.status_code == 409
        assert too_much.json()["field"] == "lines.0.quantity"


class TestStock:
    async def test_entry_adjustment_thresholds_inventory(
        self, api: httpx.AsyncClient, caja: Caja, manager: dict[str, str]
    ) -> None:
        pid = caja.products[0]["id"]
        entry = await api.post(
            "/entries",
            headers=manager,
            json={"lines": [{"product_id": pid, "quantity": "5", "unit_cost": "6.10"}]},
        )
        assert entry.status_code == 201, entry.text
        adj = await api.post(
            "/adjustments",
            headers=manager,
            json={"lines": [{"product_id": pid, "counted": "14", "expected": "15"}]},
        )
        assert adj.json()["movements"][0]["quantity"] == "-1.000"
        ok = await api.put(
            f"/inventory/{pid}/thresholds",
            headers=manager,
            json={"min_stock": "20", "max_stock": "40"},
        )
        assert ok.status_code == 200, ok.text
        assert (ok.json()["min_stock"], ok.json()["max_stock"]) == ("20.000", "40.000")
        assert (
            await api.put("/inventory/nope/thresholds", headers=manager, json={"min_stock": "1"})
        ).status_code == 404
        low = (await api.get("/inventory?status=low", headers=manager)).json()
        assert [i["product_id"] for i in low["items"]] == [pid]
        assert low["items"][0]["quantity"] == "14.000"
        assert low["items"][0]["low"] is True
        assert (low["items"][0]["min_stock"], low["items"][0]["max_stock"]) == ("20.000", "40.000")
        assert "min" not in low["items"][0]

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"min": "5", "max": "2"}, "max"),
            ({"min_stock": "5", "max_stock": "2"}, "max_stock"),
            ({"min": "5", "max_stock": "2"}, "max_stock"),
            ({"min": "-1"}, "min"),
            ({"min_stock": "x"}, "min_stock"),
            ({"max": "3"}, "min_stock"),
            ({"min": "1", "min_stock": "1"}, "min"),
        ],
    )
    async def test_threshold_refusals_name_the_key_sent(
        self,
        api: httpx.AsyncClient,
        caja: Caja,
        manager: dict[str, str],
        body: dict[str, str],
        field: str,
    ) -> None:
        pid = caja.products[0]["id"]
        bad = await api.put(f"/inventory/{pid}/thresholds", headers=manager, json=body)
        assert bad.status_code == 422, bad.text
        assert [f["field"] for f in bad.json()["fields"]] == [field]

    async def test_thresholds_old_spelling_still_accepted(
        self, api: httpx.AsyncClient, caja: Caja, manager: dict[str, str]
    ) -> None:
        # Released UIs and scripts send `min`/`max`; the answer speaks the new words.
        pid = caja.products[0]["id"]
        old = {"min": "2.5", "max": "9"}
        ok = await api.put(f"/inventory/{pid}/thresholds", headers=manager, json=old)
        assert ok.status_code == 200, ok.text
        assert (ok.json()["min_stock"], ok.json()["max_stock"]) == ("2.500", "9.000")
        unbounded = await api.put(
            f"/inventory/{pid}/thresholds", headers=manager, json={"min": "1"}
        )
        assert unbounded.json()["max_stock"] is None

    async def test_products_by_text_and_barcode(
        self, api: httpx.AsyncClient, caja: Caja, cashier: dict[str, str]
    ) -> None:
        found = (await api.get("/products?q=produc 1", headers=cashier)).json()["items"]
        assert [p["id"] for p in found] == [caja.products[1]["id"]]
        assert found[0]["price"] == "25.50"
        assert found[0]["quantity"] == "10.000"
        by_code = await api.get(f"/products?barcode={caja.products[2]['barcode']}", headers=cashier)
        assert by_code.json()["items"][0]["id"] == caja.products[2]["id"]
        assert (await api.get("/products?barcode=000", headers=cashier)).status_code == 404
