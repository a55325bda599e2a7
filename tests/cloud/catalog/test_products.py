"""/api/products against real PostgreSQL: versions, uniqueness, roles, tenants, change feed."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from stocky.cloud.db import SessionMaker, tenant_transaction
from stocky.cloud.models import Change
from stocky.cloud.sync.pull import pull_changes
from tests.cloud.factories import Shop

pytestmark = pytest.mark.asyncio

ARROZ = {"sku": "ARZ-500", "name": "Arroz Diana 500 g", "price": "2500.50", "barcode": "7702"}


async def _create(client: httpx.AsyncClient, shop: Shop, **fields: object) -> dict:
    response = await client.post("/api/products", json=ARROZ | fields, headers=shop.manager)
    assert response.status_code == 201, response.text
    return response.json()


class TestCrud:
    async def test_create_read_and_money_as_strings(self, client, shop) -> None:
        body = await _create(client, shop, barcodes=["7703", "7704"], tax_rate="0.19", cost="1800")
        assert body["version"] == 1
        assert body["price"] == "2500.50"
        assert body["cost"] == "1800.00"
        assert body["tax_rate"] == "0.1900"
        assert body["barcodes"] == ["7703", "7704"]
        assert body["last_modified_by"] is not None
        got = await client.get(f"/api/products/{body['id']}", headers=shop.cashier)
        assert got.status_code == 200
        assert got.json() == body

    async def test_update_bumps_version_and_stale_version_answers_409_with_current(
        self, client, shop
    ) -> None:
        created = await _create(client, shop)
        pid = created["id"]
        first = await client.patch(
            f"/api/products/{pid}", json={"version": 1, "price": "2600"}, headers=shop.manager
        )
        assert first.status_code == 200, first.text
        assert first.json()["version"] == 2
        assert first.json()["price"] == "2600.00"

        stale = await client.patch(
            f"/api/products/{pid}", json={"version": 1, "name": "Otro"}, headers=shop.admin
        )
        assert stale.status_code == 409
        body = stale.json()
        assert body["field"] == "version"
        assert body["current"]["version"] == 2
        assert body["current"]["name"] == ARROZ["name"]
        assert body["current"]["price"] == "2600.00"

    async def test_deactivate_never_deletes(self, client, shop) -> None:
        created = await _create(client, shop)
        gone = await client.delete(f"/api/products/{created['id']}", headers=shop.manager)
        assert gone.status_code == 200
        assert gone.json()["active"] is False
        assert gone.json()["version"] == 2
        still = await client.get(f"/api/products/{created['id']}", headers=shop.manager)
        assert still.status_code == 200
        assert still.json()["active"] is False

    async def test_extra_barcodes_replace(self, client, shop) -> None:
        created = await _create(client, shop, barcodes=["111"])
        response = await client.patch(
            f"/api/products/{created['id']}",
            json={"version": 1, "barcodes": ["222", "333"]},
            headers=shop.manager,
        )
        assert response.json()["barcodes"] == ["222", "333"]
        assert response.json()["version"] == 2


class TestUniqueness:
    async def test_duplicate_sku_is_409_naming_sku(self, client, shop) -> None:
        await _create(client, shop)
        response = await client.post(
            "/api/products", json=ARROZ | {"barcode": "999"}, headers=shop.manager
        )
        assert response.status_code == 409
        assert response.json()["field"] == "sku"

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"barcode": "7702"}, "barcode"),
            ({"barcode": "7703"}, "barcode"),  # another product's extra barcode
            ({"barcode": None, "barcodes": ["7702"]}, "barcodes"),
        ],
    )
    async def test_barcode_unique_across_primary_and_extra(
        self, client, shop, fields, field
    ) -> None:
        await _create(client, shop, barcodes=["7703"])
        response = await client.post(
            "/api/products", json=ARROZ | {"sku": "OTRO"} | fields, headers=shop.manager
        )
        assert response.status_code == 409, response.text
        assert response.json()["field"] == field

    async def test_same_sku_in_two_tenants_is_fine(self, client, shop, other_shop) -> None:
        await _create(client, shop)
        await _create(client, other_shop)


class TestValidation:
    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"price": "-1"}, "price"),
            ({"price": "1.234"}, "price"),
            ({"price": "abc"}, "price"),
            ({"cost": "-0.01"}, "cost"),
            ({"tax_rate": "1"}, "tax_rate"),
            ({"unit": "box"}, "unit"),
            ({"sku": ""}, "sku"),
            ({"colour": "red"}, "colour"),
        ],
    )
    async def test_bad_input_is_422_naming_the_field(self, client, shop, fields, field) -> None:
        response = await client.post("/api/products", json=ARROZ | fields, headers=shop.manager)
        assert response.status_code == 422, response.text
        assert response.json()["fields"][0]["field"] == field

    async def test_update_without_version_is_422(self, client, shop) -> None:
        created = await _create(client, shop)
        response = await client.patch(
            f"/api/products/{created['id']}", json={"price": "1"}, headers=shop.manager
        )
        assert response.status_code == 422
        assert response.json()["fields"][0]["field"] == "version"

    @pytest.mark.parametrize("limit", [0, 201])
    async def test_page_limit_is_bounded(self, client, shop, limit) -> None:
        response = await client.get(f"/api/products?limit={limit}", headers=shop.cashier)
        assert response.status_code == 422
        assert response.json()["fields"][0]["field"] == "limit"

    async def test_forged_cursor_is_422(self, client, shop) -> None:
        response = await client.get("/api/products?cursor=bm9wZQ", headers=shop.cashier)
        assert response.status_code == 422
        assert response.json()["fields"][0]["field"] == "cursor"


class TestAccess:
    async def test_cashier_reads_but_cannot_edit(self, client, shop) -> None:
        created = await _create(client, shop)
        assert (await client.get("/api/products", headers=shop.cashier)).status_code == 200
        denied = [
            await client.post("/api/products", json=ARROZ | {"sku": "X"}, headers=shop.cashier),
            await client.patch(
                f"/api/products/{created['id']}", json={"version": 1}, headers=shop.cashier
            ),
            await client.delete(f"/api/products/{created['id']}", headers=shop.cashier),
            await client.post("/api/products/import", content=b"sku\nA", headers=shop.cashier),
        ]
        assert [r.status_code for r in denied] == [403, 403, 403, 403]

    async def test_no_token_is_401(self, client) -> None:
        assert (await client.get("/api/products")).status_code == 401

    async def test_other_tenants_product_is_404(self, client, shop, other_shop) -> None:
        created = await _create(client, shop)
        url = f"/api/products/{created['id']}"
        assert (await client.get(url, headers=other_shop.owner)).status_code == 404
        patch = await client.patch(url, json={"version": 1, "name": "x"}, headers=other_shop.owner)
        assert patch.status_code == 404
        assert (await client.delete(url, headers=other_shop.owner)).status_code == 404
        listed = await client.get("/api/products", headers=other_shop.owner)
        assert listed.json()["items"] == []
        unknown = await client.get(f"/api/products/{uuid.uuid4()}", headers=shop.owner)
        assert unknown.status_code == 404


class TestList:
    async def test_search_by_name_sku_barcode_and_category(self, client, shop) -> None:
        await _create(client, shop, category="Granos", barcodes=["555"])
        await _create(
            client, shop, sku="LEC-1", name="Leche Alpina 1 L", barcode="8801", category="Lácteos"
        )

        async def skus(query: str) -> list[str]:
            response = await client.get(f"/api/products?{query}", headers=shop.cashier)
            assert response.status_code == 200, response.text
            return [p["sku"] for p in response.json()["items"]]

        assert await skus("q=arroz") == ["ARZ-500"]
        assert await skus("q=lec-") == ["LEC-1"]
        assert await skus("q=8801") == ["LEC-1"]
        assert await skus("q=555") == ["ARZ-500"]
        assert await skus("category=L%C3%A1cteos") == ["LEC-1"]
        assert await skus("q=100%25") == []

    async def test_cursor_pagination_walks_every_product_once(self, client, shop) -> None:
        for i in range(7):
            await _create(client, shop, sku=f"S{i}", name=f"Producto {i % 3}", barcode=None)
        seen: list[str] = []
        cursor = None
        while True:
            url = "/api/products?limit=3" + (f"&cursor={cursor}" if cursor else "")
            page = (await client.get(url, headers=shop.cashier)).json()
            seen += [p["sku"] for p in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == [f"S{i}" for i in range(7)]
        assert len(seen) == 7


class TestChangeFeed:
    async def test_update_lands_in_change_feed_and_reaches_a_cajas_pull(
        self, client, shop, cloud_app: FastAPI
    ) -> None:
        created = await _create(client, shop)
        await client.patch(
            f"/api/products/{created['id']}",
            json={"version": 1, "price": "2700"},
            headers=shop.manager,
        )
        sm: SessionMaker = cloud_app.state.sessionmaker
        async with tenant_transaction(sm, shop.tenant_id) as session:
            rows = (
                await session.execute(
                    select(Change).where(
                        Change.entity == "products", Change.entity_id == created["id"]
                    )
                )
            ).scalars()
            versions = [c.version for c in rows]
            page = await pull_changes(
                session,
                tenant_id=shop.tenant_id,
                sede_id=shop.sede_id,
                cursor_token=None,
                limit=100,
            )
        assert versions == [1, 2]
        pulled = [c for c in page.changes if c.entity == "products"]
        assert pulled[-1].version == 2
        assert pulled[-1].data is not None
        assert str(pulled[-1].data["price"]) in ("2700", "2700.00")
