"""The role x route matrix, and cross-tenant attempts on every route (404)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio

from tests.cloud.identity.helpers import (
    PASSWORD,
    Tenant,
    bearer,
    create_sede,
    create_user,
    issue_code,
    signup,
    token_for,
)

pytestmark = pytest.mark.asyncio


@dataclass
class World:
    tenant: Tenant
    sede: str
    other_sede: str
    tokens: dict[str, str]
    cashier_id: str
    other_cashier_id: str


@pytest_asyncio.fixture
async def world(client: httpx.AsyncClient) -> World:
    t = await signup(client)
    sede = await create_sede(client, t.owner_token, "Centro")
    other = await create_sede(client, t.owner_token, "Norte")
    tokens = {"owner": t.owner_token}
    tokens["admin"], _ = await token_for(client, t.owner_token, "admin", None)
    tokens["manager"], _ = await token_for(client, t.owner_token, "manager", sede)
    tokens["cashier"], cashier = await token_for(client, t.owner_token, "cashier", sede)
    other_cashier = await create_user(client, t.owner_token, "cashier", other)
    return World(t, sede, other, tokens, cashier["id"], other_cashier["id"])


def _new_user(role: str, sede: str | None) -> dict[str, object]:
    body: dict[str, object] = {
        "email": f"n-{uuid.uuid4().hex[:8]}@example.com",
        "name": "New",
        "password": PASSWORD,
        "role": role,
    }
    if sede:
        body["sede_id"] = sede
    return body


class TestRoleMatrix:
    @pytest.mark.parametrize(
        ("role", "expected"),
        [("owner", 201), ("admin", 201), ("manager", 403), ("cashier", 403)],
    )
    async def test_create_sede(
        self, client: httpx.AsyncClient, world: World, role: str, expected: int
    ) -> None:
        r = await client.post(
            "/api/sedes", json={"name": f"S-{role}"}, headers=bearer(world.tokens[role])
        )
        assert r.status_code == expected, r.text

    @pytest.mark.parametrize(
        ("role", "own", "other"),
        [("owner", 200, 200), ("admin", 200, 200), ("manager", 200, 403), ("cashier", 403, 403)],
    )
    async def test_edit_sede(
        self, client: httpx.AsyncClient, world: World, role: str, own: int, other: int
    ) -> None:
        h = bearer(world.tokens[role])
        r = await client.patch(f"/api/sedes/{world.sede}", json={"address": "x"}, headers=h)
        assert r.status_code == own, r.text
        r = await client.patch(f"/api/sedes/{world.other_sede}", json={"address": "y"}, headers=h)
        assert r.status_code == other, r.text

    @pytest.mark.parametrize(("role", "count"), [("admin", 2), ("manager", 1), ("cashier", 1)])
    async def test_list_sedes(
        self, client: httpx.AsyncClient, world: World, role: str, count: int
    ) -> None:
        r = await client.get("/api/sedes", headers=bearer(world.tokens[role]))
        assert r.status_code == 200
        assert len(r.json()) == count

    @pytest.mark.parametrize(
        ("role", "new_role", "where", "expected"),
        [
            ("owner", "admin", None, 201),
            ("admin", "manager", "own", 201),
            ("admin", "admin", None, 403),
            ("manager", "cashier", "own", 201),
            ("manager", "cashier", "other", 403),
            ("manager", "manager", "own", 403),
            ("cashier", "cashier", "own", 403),
        ],
    )
    async def test_create_user(
        self,
        client: httpx.AsyncClient,
        world: World,
        role: str,
        new_role: str,
        where: str | None,
        expected: int,
    ) -> None:
        sede = {"own": world.sede, "other": world.other_sede, None: None}[where]
        r = await client.post(
            "/api/users", json=_new_user(new_role, sede), headers=bearer(world.tokens[role])
        )
        assert r.status_code == expected, r.text

    async def test_manager_acts_only_on_own_sede(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        h = bearer(world.tokens["manager"])
        listed = {u["id"] for u in (await client.get("/api/users", headers=h)).json()}
        assert world.cashier_id in listed
        assert world.other_cashier_id not in listed
        assert (
            await client.get(f"/api/users/{world.other_cashier_id}", headers=h)
        ).status_code == 403
        r = await client.patch(
            f"/api/users/{world.other_cashier_id}", json={"name": "z"}, headers=h
        )
        assert r.status_code == 403
        r = await client.patch(f"/api/users/{world.cashier_id}", json={"name": "z"}, headers=h)
        assert r.status_code == 200
        assert r.json()["version"] == 2

    @pytest.mark.parametrize(
        ("role", "expected"),
        [("owner", 201), ("admin", 201), ("manager", 403), ("cashier", 403)],
    )
    async def test_activation_codes(
        self, client: httpx.AsyncClient, world: World, role: str, expected: int
    ) -> None:
        r = await client.post(
            f"/api/sedes/{world.sede}/activation-codes", headers=bearer(world.tokens[role])
        )
        assert r.status_code == expected, r.text

    @pytest.mark.parametrize(
        ("role", "users", "audit", "devices"),
        [
            ("owner", 200, 200, 200),
            ("admin", 200, 200, 200),
            ("manager", 200, 403, 200),
            ("cashier", 403, 403, 403),
        ],
    )
    async def test_read_routes(
        self,
        client: httpx.AsyncClient,
        world: World,
        role: str,
        users: int,
        audit: int,
        devices: int,
    ) -> None:
        h = bearer(world.tokens[role])
        assert (await client.get("/api/users", headers=h)).status_code == users
        assert (await client.get("/api/audit-logs", headers=h)).status_code == audit
        assert (await client.get("/api/devices", headers=h)).status_code == devices

    async def test_no_token_401(self, client: httpx.AsyncClient) -> None:
        for path in ("/api/users", "/api/sedes", "/api/devices", "/api/audit-logs", "/api/me"):
            assert (await client.get(path)).status_code == 401, path

    async def test_cannot_disable_self(self, client: httpx.AsyncClient, world: World) -> None:
        r = await client.delete(
            f"/api/users/{world.tenant.owner_id}", headers=bearer(world.tokens["owner"])
        )
        assert r.status_code == 403


class TestCrossTenant:
    async def test_every_route_404(self, client: httpx.AsyncClient, world: World) -> None:
        intruder = await signup(client, "Intrusa")
        h = bearer(intruder.owner_token)
        code = await issue_code(client, world.tenant.owner_token, world.sede)
        r = await client.post("/api/activate", json={"code": code, "device_name": "Caja 1"})
        device_id = r.json()["device"]["id"]
        uid, sede = world.cashier_id, world.sede
        attempts = [
            ("GET", f"/api/users/{uid}", None),
            ("PATCH", f"/api/users/{uid}", {"name": "hacked"}),
            ("DELETE", f"/api/users/{uid}", None),
            ("GET", f"/api/sedes/{sede}", None),
            ("PATCH", f"/api/sedes/{sede}", {"name": "hacked"}),
            ("DELETE", f"/api/sedes/{sede}", None),
            ("POST", f"/api/sedes/{sede}/activation-codes", None),
            ("POST", f"/api/devices/{device_id}/revoke", None),
        ]
        for method, path, body in attempts:
            r = await client.request(method, path, json=body, headers=h)
            assert r.status_code == 404, (method, path, r.text)
        # Listing and creating never show or touch the other tenant's rows.
        assert (await client.get("/api/users", headers=h)).json()[0]["id"] == intruder.owner_id
        assert (await client.get("/api/sedes", headers=h)).json() == []
        assert (await client.get("/api/devices", headers=h)).json() == []
        r = await client.get(f"/api/devices?sede_id={sede}", headers=h)
        assert r.json() == []
        r = await client.post("/api/users", json=_new_user("cashier", sede), headers=h)
        assert r.status_code == 400
        assert "sede_id" in r.json()["message"]
        r = await client.get("/api/audit-logs", headers=h)
        assert all(i["entity_id"] != uid for i in r.json()["items"])
        r = await client.get(f"/api/audit-logs?entity_id={uid}", headers=h)
        assert r.json()["items"] == []
        # The victim's rows are intact.
        r = await client.get(f"/api/users/{uid}", headers=bearer(world.tenant.owner_token))
        assert r.json()["name"] == "Cashier"
        assert r.json()["active"] is True
