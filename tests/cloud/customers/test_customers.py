"""/api/customers against real PostgreSQL: search, unique tax id, roles, tenants, audit, feed."""

from __future__ import annotations

import httpx
import pytest

from stocky.cloud.db import tenant_transaction
from stocky.cloud.sync.pull import pull_changes
from tests.cloud.factories import Shop

pytestmark = pytest.mark.asyncio

ANA = {"name": "Ana Gómez", "tax_id": "900123456-7", "email": "ana@example.com"}


async def _create(client: httpx.AsyncClient, shop: Shop, **fields: object) -> dict:
    response = await client.post("/api/customers", json=ANA | fields, headers=shop.manager)
    assert response.status_code == 201, response.text
    return response.json()


class TestCustomers:
    async def test_create_and_search_by_name_or_tax_id(self, client, shop) -> None:
        ana = await _create(client, shop)
        await _create(client, shop, name="Bernardo Ruiz", tax_id="1020304050", email=None)
        assert ana["version"] == 1
        assert ana["active"] is True
        for q in ("gómez", "900123", "ANA"):
            found = await client.get("/api/customers", params={"q": q}, headers=shop.cashier)
            assert found.status_code == 200, found.text
            assert [c["id"] for c in found.json()["items"]] == [ana["id"]], q
        first = await client.get("/api/customers", params={"limit": 1}, headers=shop.cashier)
        assert [c["name"] for c in first.json()["items"]] == ["Ana Gómez"]
        cursor = first.json()["next_cursor"]
        second = await client.get(
            "/api/customers", params={"limit": 1, "cursor": cursor}, headers=shop.cashier
        )
        assert [c["name"] for c in second.json()["items"]] == ["Bernardo Ruiz"]
        assert second.json()["next_cursor"] is None

    async def test_duplicate_tax_id_is_409_and_names_are_not_unique(self, client, shop) -> None:
        ana = await _create(client, shop)
        again = await client.post(
            "/api/customers", json={"name": "Otra", "tax_id": ANA["tax_id"]}, headers=shop.admin
        )
        assert again.status_code == 409, again.text
        assert again.json()["message"].startswith("tax_id:")
        other = await _create(client, shop, name="Bernardo", tax_id="111")
        clash = await client.patch(
            f"/api/customers/{other['id']}", json={"tax_id": ANA["tax_id"]}, headers=shop.manager
        )
        assert clash.status_code == 409
        # Without a tax id, any number of customers may share a name.
        await _create(client, shop, tax_id=None, email=None)
        await _create(client, shop, tax_id=None, email=None)
        assert ana["tax_id"] == ANA["tax_id"]

    async def test_another_tenant_cannot_see_or_edit(self, client, shop, other_shop) -> None:
        ana = await _create(client, shop)
        listed = await client.get("/api/customers", headers=other_shop.owner)
        assert listed.json()["items"] == []
        one = await client.get(f"/api/customers/{ana['id']}", headers=other_shop.owner)
        assert one.status_code == 404
        edit = await client.patch(
            f"/api/customers/{ana['id']}", json={"name": "X"}, headers=other_shop.owner
        )
        assert edit.status_code == 404
        # The same tax id is free in another tenant.
        assert (await _create(client, other_shop))["tax_id"] == ANA["tax_id"]

    async def test_cashier_cannot_create_or_edit(self, client, shop) -> None:
        denied = await client.post("/api/customers", json=ANA, headers=shop.cashier)
        assert denied.status_code == 403
        ana = await _create(client, shop)
        edit = await client.patch(
            f"/api/customers/{ana['id']}", json={"name": "X"}, headers=shop.cashier
        )
        assert edit.status_code == 403

    @pytest.mark.parametrize(
        ("field", "value"),
        [("name", "Ana\x00"), ("name", "Ana\x07G"), ("tax_id", "900\n1"), ("email", "a@b\x1f")],
    )
    async def test_control_characters_are_422(self, client, shop, field, value) -> None:
        response = await client.post(
            "/api/customers", json=ANA | {field: value}, headers=shop.manager
        )
        assert response.status_code == 422, response.text
        assert any(f["field"] == field for f in response.json()["fields"])

    async def test_edit_bumps_version_is_audited_and_feeds_the_cajas(
        self, client, cloud_app, shop
    ) -> None:
        ana = await _create(client, shop)
        edited = await client.patch(
            f"/api/customers/{ana['id']}",
            json={"name": "Ana María Gómez", "active": False},
            headers=shop.manager,
        )
        assert edited.status_code == 200, edited.text
        assert edited.json()["version"] == 2
        assert edited.json()["active"] is False
        logs = await client.get(
            f"/api/audit-logs?entity_type=customers&entity_id={ana['id']}", headers=shop.owner
        )
        assert logs.status_code == 200, logs.text
        items = logs.json()["items"]
        assert [i["action"] for i in items] == ["customers.updated", "customers.created"]
        assert items[0]["before_data"]["name"] == "Ana Gómez"
        assert items[0]["after_data"]["name"] == "Ana María Gómez"
        async with tenant_transaction(cloud_app.state.sessionmaker, shop.tenant_id) as session:
            page = await pull_changes(
                session,
                tenant_id=shop.tenant_id,
                sede_id=shop.sede_id,
                cursor_token=None,
                limit=100,
            )
        mine = [c for c in page.changes if c.entity == "customers"]
        assert [(c.entity_id, c.version) for c in mine] == [(ana["id"], 1), (ana["id"], 2)]
        assert mine[-1].data is not None
        assert mine[-1].data["active"] is False
