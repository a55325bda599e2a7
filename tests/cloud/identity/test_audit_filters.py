"""GET /api/audit-logs filters for the web admin's viewer (issue 14): by actor (user or
caja), entity, sede, time, with cursor pages; admin and owner only (a manager is refused:
an entry is not always one sede's)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.cloud.identity.helpers import bearer, create_sede, issue_code, signup, token_for

pytestmark = pytest.mark.asyncio


async def _items(client: httpx.AsyncClient, token: str, **params: Any) -> list[dict[str, Any]]:
    r = await client.get("/api/audit-logs", params=params, headers=bearer(token))
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def _activate(client: httpx.AsyncClient, token: str, sede: str) -> dict[str, Any]:
    code = await issue_code(client, token, sede)
    r = await client.post("/api/activate", json={"code": code, "device_name": "Caja"})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


class TestAuditFilters:
    async def test_by_sede_device_and_user(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        centro = await create_sede(client, t.owner_token, "Centro")
        norte = await create_sede(client, t.owner_token, "Norte")
        manager, manager_user = await token_for(client, t.owner_token, "manager", centro)
        caja = await _activate(client, t.owner_token, centro)
        caja_norte = await _activate(client, t.owner_token, norte)
        # The centro manager does something: their own name.
        r = await client.patch("/api/users/me", json={"name": "Gerente"}, headers=bearer(manager))
        assert r.status_code == 200

        in_centro = await _items(client, t.owner_token, sede_id=centro)
        assert in_centro
        devices = {e["device_id"] for e in in_centro} - {None}
        assert devices == {caja["device"]["id"]}
        assert caja_norte["device"]["id"] not in str(in_centro)
        assert any(e["user_id"] == manager_user["id"] for e in in_centro)
        assert any(e["entity_type"] == "sedes" and e["entity_id"] == centro for e in in_centro)
        assert not any(e["entity_type"] == "sedes" and e["entity_id"] == norte for e in in_centro)

        by_caja = await _items(client, t.owner_token, device_id=caja_norte["device"]["id"])
        assert by_caja
        assert {e["device_id"] for e in by_caja} == {caja_norte["device"]["id"]}
        by_user = await _items(client, t.owner_token, user_id=manager_user["id"])
        assert {e["user_id"] for e in by_user} == {manager_user["id"]}
        both = await _items(client, t.owner_token, user_id=manager_user["id"], entity_type="users")
        assert both
        assert all(e["entity_id"] == manager_user["id"] for e in both)

    async def test_cursor_pages_cover_a_filter_once(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        centro = await create_sede(client, t.owner_token, "Centro")
        for _ in range(3):
            await issue_code(client, t.owner_token, centro)
        every = [e["id"] for e in await _items(client, t.owner_token, sede_id=centro)]
        seen: list[str] = []
        params: dict[str, Any] = {"sede_id": centro, "limit": 2}
        while True:
            r = await client.get("/api/audit-logs", params=params, headers=bearer(t.owner_token))
            page = r.json()
            seen += [e["id"] for e in page["items"]]
            if page["next_cursor"] is None:
                break
            params["cursor"] = page["next_cursor"]
        assert seen == every

    async def test_who_may_read(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        centro = await create_sede(client, t.owner_token, "Centro")
        manager, _ = await token_for(client, t.owner_token, "manager", centro)
        admin, _ = await token_for(client, t.owner_token, "admin", None)
        caja = await _activate(client, t.owner_token, centro)
        assert await _items(client, admin, sede_id=centro)
        for token in (manager, caja["device_credential"]):
            r = await client.get("/api/audit-logs", headers=bearer(token))
            assert r.status_code in (401, 403), r.text
        r = await client.get("/api/audit-logs", params={"sede_id": centro}, headers=bearer(manager))
        assert r.status_code == 403

        other = await signup(client, "Otra Tienda")
        r = await client.get(
            "/api/audit-logs", params={"sede_id": centro}, headers=bearer(other.owner_token)
        )
        assert r.status_code == 404
        assert r.json()["field"] == "sede_id"
        theirs = await _items(client, other.owner_token, device_id=caja["device"]["id"])
        assert theirs == []
        assert centro not in str(await _items(client, other.owner_token))
        r = await client.get(
            "/api/audit-logs", params={"sede_id": str(uuid.uuid4())}, headers=bearer(admin)
        )
        assert r.status_code == 404
