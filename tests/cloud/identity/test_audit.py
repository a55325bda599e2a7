"""Every mutation leaves an audit row with the actor, before and after, and no secrets."""

from __future__ import annotations

import httpx
import pytest

from tests.cloud.identity.helpers import bearer, create_sede, create_user, issue_code, signup

pytestmark = pytest.mark.asyncio


async def _logs(client: httpx.AsyncClient, token: str, query: str = "") -> list[dict[str, object]]:
    r = await client.get(f"/api/audit-logs{query}", headers=bearer(token))
    assert r.status_code == 200, r.text
    items: list[dict[str, object]] = r.json()["items"]
    return items


class TestAudit:
    async def test_signup_and_user_lifecycle(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        actions = {i["action"] for i in await _logs(client, t.owner_token)}
        assert {"tenants.created", "users.created"} <= actions
        sede = await create_sede(client, t.owner_token)
        user = await create_user(client, t.owner_token, "cashier", sede)
        uid = user["id"]
        r = await client.patch(
            f"/api/users/{uid}",
            json={"name": "Ana", "password": "a new secret"},
            headers=bearer(t.owner_token),
        )
        assert r.status_code == 200
        await client.delete(f"/api/users/{uid}", headers=bearer(t.owner_token))
        logs = await _logs(client, t.owner_token, f"?entity_type=users&entity_id={uid}")
        assert [i["action"] for i in logs] == ["users.updated", "users.updated", "users.created"]
        disabled, renamed, created = logs
        assert created["before_data"] is None
        assert created["after_data"]["email"] == user["email"]  # type: ignore[index]
        assert created["after_data"]["password_hash"] == "[redacted]"  # type: ignore[index]
        assert renamed["before_data"]["name"] == "Cashier"  # type: ignore[index]
        assert renamed["after_data"]["name"] == "Ana"  # type: ignore[index]
        assert renamed["after_data"]["password_hash"] == "[redacted]"  # type: ignore[index]
        assert disabled["before_data"]["active"] is True  # type: ignore[index]
        assert disabled["after_data"]["active"] is False  # type: ignore[index]
        assert all(i["user_id"] == t.owner_id for i in logs)
        assert all(i["client_address"] == "127.0.0.1" for i in logs)
        assert disabled["metadata"] == {"method": "DELETE", "path": f"/api/users/{uid}"}
        assert "$argon2" not in str(await _logs(client, t.owner_token))

    async def test_activation_and_device_revocation(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        sede = await create_sede(client, t.owner_token)
        code = await issue_code(client, t.owner_token, sede)
        body = (
            await client.post("/api/activate", json={"code": code, "device_name": "Caja"})
        ).json()
        device_id = body["device"]["id"]
        await client.post(f"/api/devices/{device_id}/revoke", headers=bearer(t.owner_token))
        logs = await _logs(client, t.owner_token, "?entity_type=devices")
        assert [i["action"] for i in logs] == ["devices.updated", "devices.created"]
        assert logs[1]["device_id"] == device_id
        assert logs[1]["user_id"] is None
        assert logs[1]["after_data"]["credential_hash"] == "[redacted]"  # type: ignore[index]
        assert logs[0]["after_data"]["status"] == "revoked"  # type: ignore[index]
        codes = await _logs(client, t.owner_token, "?entity_type=activation_codes")
        assert [i["action"] for i in codes] == [
            "activation_codes.updated",
            "activation_codes.created",
        ]

    async def test_filters_and_pages(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        for i in range(3):
            await create_sede(client, t.owner_token, f"S{i}")
        r = await client.get(
            "/api/audit-logs?entity_type=sedes&limit=2", headers=bearer(t.owner_token)
        )
        page = r.json()
        assert len(page["items"]) == 2
        assert page["next_cursor"]
        r = await client.get(
            f"/api/audit-logs?entity_type=sedes&limit=2&cursor={page['next_cursor']}",
            headers=bearer(t.owner_token),
        )
        assert len(r.json()["items"]) == 1
        assert r.json()["next_cursor"] is None
        r = await client.get(
            f"/api/audit-logs?user_id={t.owner_id}&from=2000-01-01T00:00:00Z&to=2999-01-01T00:00:00Z",
            headers=bearer(t.owner_token),
        )
        assert len(r.json()["items"]) >= 3
        r = await client.get(
            "/api/audit-logs?from=2999-01-01T00:00:00Z", headers=bearer(t.owner_token)
        )
        assert r.json()["items"] == []
        r = await client.get("/api/audit-logs?cursor=nope", headers=bearer(t.owner_token))
        assert r.status_code == 400

    async def test_reads_are_not_audited(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        before = len(await _logs(client, t.owner_token))
        await client.get("/api/me", headers=bearer(t.owner_token))
        await client.get("/api/sedes", headers=bearer(t.owner_token))
        assert len(await _logs(client, t.owner_token)) == before


class TestStatementAudit:
    async def test_core_statements_of_a_user_are_recorded(self, client: httpx.AsyncClient) -> None:
        # Opening stock goes through insert/upsert statements, not ORM objects.
        t = await signup(client)
        sede = await create_sede(client, t.owner_token)
        r = await client.post(
            "/api/products",
            json={"sku": "A-1", "name": "Arroz", "price": "1000"},
            headers=bearer(t.owner_token),
        )
        assert r.status_code == 201, r.text
        r = await client.post(
            f"/api/inventory/{sede}/opening",
            json={"lines": [{"sku": "A-1", "quantity": "5"}]},
            headers=bearer(t.owner_token),
        )
        assert r.status_code == 201, r.text
        logs = await _logs(client, t.owner_token, "?entity_type=inventory")
        assert logs, "the inventory statement left no audit row"
        assert all(i["user_id"] == t.owner_id for i in logs)
        assert all(i["metadata"]["bulk"] is True for i in logs)  # type: ignore[index]
        moves = await _logs(client, t.owner_token, "?entity_type=transactions")
        assert moves
        assert "5" in str(moves[0]["after_data"])
