"""GET /api/sync/logs: the ops cajas pushed, as the cloud recorded them, for the sync log
viewer. Owner and admin every sede, a manager its own (another's filter 403), a cashier
403, a caja's credential 401; another tenant's ops never; cursor pages newest first."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from tests.cloud.identity.helpers import bearer, create_sede, issue_code, signup, token_for
from tests.cloud.sync.ops import entry_op

pytestmark = pytest.mark.asyncio


class Caja:
    def __init__(self, sede: str, body: dict[str, Any]) -> None:
        self.sede = sede
        self.device_id = str(body["device"]["id"])
        self.credential = str(body["device_credential"])

    async def push(self, client: httpx.AsyncClient, ops: list[dict[str, Any]]) -> list[Any]:
        r = await client.post(
            "/api/sync/push",
            json={"sede_id": self.sede, "device_id": self.device_id, "operations": ops},
            headers=bearer(self.credential),
        )
        assert r.status_code == 200, r.text
        results: list[Any] = r.json()["results"]
        return results


async def _caja(client: httpx.AsyncClient, token: str, sede: str) -> Caja:
    code = await issue_code(client, token, sede)
    r = await client.post("/api/activate", json={"code": code, "device_name": "Caja"})
    assert r.status_code == 200, r.text
    return Caja(sede, r.json())


async def _product(client: httpx.AsyncClient, token: str) -> uuid.UUID:
    r = await client.post(
        "/api/products",
        json={"sku": f"ARZ-{uuid.uuid4().hex[:6]}", "name": "Arroz", "price": "2500"},
        headers=bearer(token),
    )
    assert r.status_code == 201, r.text
    return uuid.UUID(r.json()["id"])


def _bad_op() -> dict[str, Any]:
    """A transaction.create whose payload does not fit: rejected, payload kept."""
    op = entry_op(uuid.uuid4(), "3")
    op["payload"]["movements"][0]["quantity"] = "tres"
    return op


async def _logs(client: httpx.AsyncClient, token: str, **params: Any) -> httpx.Response:
    return await client.get("/api/sync/logs", params=params, headers=bearer(token))


class World:
    tenant: Any
    centro: str
    norte: str
    caja: Caja
    caja_norte: Caja
    applied: list[str]
    rejected: str
    before: datetime


@pytest_asyncio.fixture
async def world(client: httpx.AsyncClient) -> World:
    w = World()
    w.tenant = await signup(client)
    token = w.tenant.owner_token
    w.centro = await create_sede(client, token, "Centro")
    w.norte = await create_sede(client, token, "Norte")
    w.caja = await _caja(client, token, w.centro)
    w.caja_norte = await _caja(client, token, w.norte)
    rice = await _product(client, token)
    w.before = datetime.now(UTC)
    ops = [entry_op(rice, "5"), entry_op(rice, "2")]
    assert [r["status"] for r in await w.caja.push(client, ops)] == ["applied", "applied"]
    w.applied = [op["op_id"] for op in ops]
    bad = _bad_op()
    [result] = await w.caja.push(client, [bad])
    assert result["status"] == "rejected"
    w.rejected = bad["op_id"]
    # A second delivery of an applied op: answered duplicate, its record left as it was.
    assert (await w.caja.push(client, [ops[0]]))[0]["status"] == "duplicate"
    assert (await w.caja_norte.push(client, [entry_op(rice, "1")]))[0]["status"] == "applied"
    return w


class TestSyncLogs:
    async def test_items_newest_first(self, client: httpx.AsyncClient, world: World) -> None:
        r = await _logs(client, world.tenant.owner_token, sede_id=world.centro)
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert [i["op_id"] for i in items] == [world.rejected, *reversed(world.applied)]
        rejected, applied = items[0], items[-1]
        assert rejected["status"] == "rejected"
        assert rejected["kind"] == "transaction.create"
        assert "quantity" in rejected["reason"]
        assert rejected["payload"]["movements"][0]["quantity"] == "tres"
        assert rejected["sede_id"] == world.centro
        assert rejected["sede_name"] == "Centro"
        assert rejected["device_id"] == world.caja.device_id
        assert rejected["device_name"] == "Caja"
        assert applied["status"] == "applied"
        assert applied["reason"] is None
        assert applied["payload"] is None  # only a failed op's payload is shown
        assert applied["entity_id"]
        client_ts = datetime.fromisoformat(applied["client_ts"])
        server_ts = datetime.fromisoformat(applied["server_ts"])
        assert abs(server_ts - client_ts) < timedelta(seconds=30)
        assert server_ts >= world.before - timedelta(seconds=1)
        assert r.json()["next_cursor"] is None

    async def test_filters(self, client: httpx.AsyncClient, world: World) -> None:
        token = world.tenant.owner_token
        every = (await _logs(client, token)).json()["items"]
        assert len(every) == 4
        assert {i["sede_name"] for i in every} == {"Centro", "Norte"}

        def ids(r: httpx.Response) -> list[str]:
            assert r.status_code == 200, r.text
            return [i["op_id"] for i in r.json()["items"]]

        assert ids(await _logs(client, token, status="rejected")) == [world.rejected]
        assert len(ids(await _logs(client, token, status="applied"))) == 3
        assert ids(await _logs(client, token, status="conflict")) == []
        norte = ids(await _logs(client, token, device_id=world.caja_norte.device_id))
        assert len(norte) == 1
        assert ids(await _logs(client, token, kind="transaction.create")) == [
            i["op_id"] for i in every
        ]
        assert ids(await _logs(client, token, kind="shift.open")) == []
        later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
        assert ids(await _logs(client, token, **{"from": later})) == []
        assert len(ids(await _logs(client, token, to=later))) == 4
        assert len(ids(await _logs(client, token, **{"from": world.before.isoformat()}))) == 4

    async def test_cursor_pages(self, client: httpx.AsyncClient, world: World) -> None:
        token = world.tenant.owner_token
        every = [i["op_id"] for i in (await _logs(client, token)).json()["items"]]
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 1}
            if cursor:
                params["cursor"] = cursor
            page = (await _logs(client, token, **params)).json()
            seen += [i["op_id"] for i in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == every

    async def test_bad_parameters_name_the_field(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        token = world.tenant.owner_token
        for params, field in (
            ({"status": "deferred"}, "status"),
            ({"status": "lost"}, "status"),
            ({"kind": "nope"}, "kind"),
            ({"cursor": "garbage"}, "cursor"),
            ({"limit": 0}, "limit"),
            ({"limit": 201}, "limit"),
            ({"from": "2026-01-01T00:00:00"}, "from"),
            ({"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "from"),
            ({"sede_id": "centro"}, "sede_id"),
        ):
            r = await _logs(client, token, **params)
            assert r.status_code == 422, (params, r.text)
            assert field in r.text, (params, r.text)
        r = await _logs(client, token, sede_id=str(uuid.uuid4()))
        assert r.status_code == 404
        assert r.json()["field"] == "sede_id"


class TestWhoSees:
    async def test_a_manager_sees_its_sede(self, client: httpx.AsyncClient, world: World) -> None:
        owner = world.tenant.owner_token
        manager, _ = await token_for(client, owner, "manager", world.centro)
        r = await _logs(client, manager)
        assert r.status_code == 200, r.text
        assert {i["sede_id"] for i in r.json()["items"]} == {world.centro}
        assert len(r.json()["items"]) == 3
        assert (await _logs(client, manager, sede_id=world.centro)).status_code == 200
        refused = await _logs(client, manager, sede_id=world.norte)
        assert refused.status_code == 403
        assert refused.json()["field"] == "sede_id"
        # Naming another sede's caja finds nothing of it.
        r = await _logs(client, manager, device_id=world.caja_norte.device_id)
        assert r.json()["items"] == []

    async def test_admin_every_sede_cashier_and_caja_refused(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        owner = world.tenant.owner_token
        admin, _ = await token_for(client, owner, "admin", None)
        assert len((await _logs(client, admin)).json()["items"]) == 4
        cashier, _ = await token_for(client, owner, "cashier", world.centro)
        assert (await _logs(client, cashier)).status_code == 403
        assert (await _logs(client, world.caja.credential)).status_code == 401
        assert (await client.get("/api/sync/logs")).status_code == 401

    async def test_another_tenant_sees_none(self, client: httpx.AsyncClient, world: World) -> None:
        other = await signup(client, "Otra Tienda")
        r = await _logs(client, other.owner_token)
        assert r.status_code == 200
        assert r.json()["items"] == []
        r = await _logs(client, other.owner_token, device_id=world.caja.device_id)
        assert r.json()["items"] == []
        assert (await _logs(client, other.owner_token, sede_id=world.centro)).status_code == 404
