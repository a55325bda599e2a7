"""GET/PATCH /api/tenant: the business details receipts print (issue 12, item 12). An admin
sets them, everyone of the tenant reads them, another tenant never sees them, and a caja
hears them in its next ping answer."""

from __future__ import annotations

import httpx
import pytest

from tests.cloud.identity.helpers import bearer, create_sede, issue_code, signup, token_for

pytestmark = pytest.mark.asyncio

LEGAL = {"legal_name": "Tienda Uno S.A.S.", "tax_id": "900.123.456-7", "address": "Cra 7 # 12-34"}


async def _caja_credential(client: httpx.AsyncClient, owner: str, sede: str) -> str:
    code = await issue_code(client, owner, sede)
    r = await client.post("/api/activate", json={"code": code, "device_name": "Caja"})
    assert r.status_code == 200, r.text
    return str(r.json()["device_credential"])


class TestBusinessDetails:
    async def test_an_admin_sets_them_and_a_cashier_reads_them(
        self, client: httpx.AsyncClient
    ) -> None:
        t = await signup(client)
        sede = await create_sede(client, t.owner_token)
        r = await client.patch("/api/tenant", json=LEGAL, headers=bearer(t.owner_token))
        assert r.status_code == 200, r.text
        assert {k: r.json()[k] for k in LEGAL} == LEGAL
        cashier, _ = await token_for(client, t.owner_token, "cashier", sede)
        r = await client.get("/api/tenant", headers=bearer(cashier))
        assert r.status_code == 200, r.text
        assert r.json()["legal_name"] == "Tienda Uno S.A.S."
        assert r.json()["currency"] == "COP"

    async def test_only_sent_fields_change_and_empty_clears(
        self, client: httpx.AsyncClient
    ) -> None:
        t = await signup(client)
        await client.patch("/api/tenant", json=LEGAL, headers=bearer(t.owner_token))
        r = await client.patch(
            "/api/tenant", json={"address": "  ", "tax_id": "901"}, headers=bearer(t.owner_token)
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["legal_name"], body["tax_id"], body["address"]) == (
            "Tienda Uno S.A.S.",
            "901",
            None,
        )

    async def test_below_admin_is_refused(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        sede = await create_sede(client, t.owner_token)
        manager, _ = await token_for(client, t.owner_token, "manager", sede)
        r = await client.patch("/api/tenant", json=LEGAL, headers=bearer(manager))
        assert r.status_code == 403, r.text
        r = await client.get("/api/tenant", headers=bearer(t.owner_token))
        assert r.json()["legal_name"] is None

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"legal_name": "x" * 301}, "legal_name"),
            ({"tax_id": "9" * 41}, "tax_id"),
            ({"address": "Calle 1\nPiso 2"}, "address"),
            ({"legal_name": 5}, "legal_name"),
            ({"slug": "otra"}, "slug"),
        ],
    )
    async def test_bad_fields_are_named(
        self, client: httpx.AsyncClient, body: dict[str, object], field: str
    ) -> None:
        t = await signup(client)
        r = await client.patch("/api/tenant", json=body, headers=bearer(t.owner_token))
        assert r.status_code == 422, r.text
        assert field in r.text

    async def test_another_tenant_sees_only_its_own(self, client: httpx.AsyncClient) -> None:
        one = await signup(client)
        two = await signup(client, "Tienda Dos")
        await client.patch("/api/tenant", json=LEGAL, headers=bearer(one.owner_token))
        r = await client.get("/api/tenant", headers=bearer(two.owner_token))
        assert r.json()["name"] == "Tienda Dos"
        assert r.json()["legal_name"] is None

    async def test_a_caja_hears_them_in_its_next_ping(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        sede = await create_sede(client, t.owner_token)
        credential = await _caja_credential(client, t.owner_token, sede)
        r = await client.post("/api/sync/ping", json={}, headers=bearer(credential))
        assert r.json()["business"] == {}
        await client.patch("/api/tenant", json=LEGAL, headers=bearer(t.owner_token))
        r = await client.post("/api/sync/ping", json={}, headers=bearer(credential))
        assert r.status_code == 200, r.text
        assert r.json()["business"] == LEGAL
