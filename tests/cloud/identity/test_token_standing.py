"""An access token acts as its user is now: demoted, moved or disabled users lose at once
what their token still claims (its role and sede are read from the row on each request)."""

from __future__ import annotations

import httpx
import pytest

from tests.cloud.identity.helpers import bearer, create_sede, signup, token_for

pytestmark = pytest.mark.asyncio


async def _patch_user(
    client: httpx.AsyncClient, token: str, user_id: str, **fields: object
) -> httpx.Response:
    r = await client.patch(f"/api/users/{user_id}", json=fields, headers=bearer(token))
    assert r.status_code == 200, r.text
    return r


class TestTokenStanding:
    async def test_demoted_admin_old_token_403(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        sede = await create_sede(client, t.owner_token)
        admin_token, admin = await token_for(client, t.owner_token, "admin", None)
        r = await client.post("/api/sedes", json={"name": "A"}, headers=bearer(admin_token))
        assert r.status_code == 201, r.text
        await _patch_user(client, t.owner_token, admin["id"], role="cashier", sede_id=sede)
        # The token still says admin, for up to 15 minutes; the row says cashier.
        r = await client.post("/api/sedes", json={"name": "B"}, headers=bearer(admin_token))
        assert r.status_code == 403, r.text
        assert (await client.get("/api/users", headers=bearer(admin_token))).status_code == 403
        # What a cashier may do still works with that token, as the cashier of its new sede.
        r = await client.get("/api/me", headers=bearer(admin_token))
        assert r.status_code == 200
        assert r.json()["user"]["role"] == "cashier"
        assert (await client.get("/api/sedes", headers=bearer(admin_token))).status_code == 200

    async def test_disabled_user_token_401(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        sede = await create_sede(client, t.owner_token)
        manager_token, manager = await token_for(client, t.owner_token, "manager", sede)
        assert (await client.get("/api/users", headers=bearer(manager_token))).status_code == 200
        r = await client.delete(f"/api/users/{manager['id']}", headers=bearer(t.owner_token))
        assert r.status_code == 200, r.text
        for path in ("/api/users", "/api/me", "/api/sedes"):
            r = await client.get(path, headers=bearer(manager_token))
            assert r.status_code == 401, (path, r.text)
            assert "disabled" in r.json()["message"]

    async def test_moved_manager_sees_its_new_sede(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        centro = await create_sede(client, t.owner_token, "Centro")
        norte = await create_sede(client, t.owner_token, "Norte")
        token, manager = await token_for(client, t.owner_token, "manager", centro)
        ok = await client.get(f"/api/devices?sede_id={centro}", headers=bearer(token))
        assert ok.status_code == 200, ok.text
        await _patch_user(client, t.owner_token, manager["id"], sede_id=norte)
        r = await client.get(f"/api/devices?sede_id={centro}", headers=bearer(token))
        assert r.status_code == 403, r.text
        r = await client.get(f"/api/devices?sede_id={norte}", headers=bearer(token))
        assert r.status_code == 200, r.text

    async def test_promoted_user_acts_with_its_new_role(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        sede = await create_sede(client, t.owner_token)
        token, cashier = await token_for(client, t.owner_token, "cashier", sede)
        assert (await client.get("/api/users", headers=bearer(token))).status_code == 403
        await _patch_user(client, t.owner_token, cashier["id"], role="manager")
        assert (await client.get("/api/users", headers=bearer(token))).status_code == 200
