"""GET /api/reconciliation and acknowledging: who may see and acknowledge which findings,
tenant isolation, and 422s that name the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from tests.cloud.factories import create_device, create_shop
from tests.cloud.reconciliation.conftest import ReconWorld, findings, run_jobs

pytestmark = pytest.mark.asyncio


async def _skewed_finding(client: httpx.AsyncClient, app: FastAPI, world: ReconWorld) -> str:
    moved = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    r = await client.post("/api/sync/ping", json={"client_now": moved}, headers=world.caja.headers)
    assert r.status_code == 200, r.text
    r = await client.post("/api/reconciliation/stock/run", headers=world.shop.owner)
    assert r.status_code == 202, r.text
    await run_jobs(app)
    (finding,) = await findings(client, world.shop.admin)
    finding_id: str = finding["id"]
    return finding_id


def _fields(r: httpx.Response) -> list[str]:
    return [f["field"] for f in r.json().get("fields") or []]


class TestAcknowledge:
    async def test_a_manager_of_the_sede_acknowledges_with_a_note(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: ReconWorld
    ) -> None:
        finding_id = await _skewed_finding(client, cloud_app, world)
        url = f"/api/reconciliation/{finding_id}/acknowledge"
        body = {"note": "reloj de la caja corregido mañana"}
        assert (await client.post(url, json=body, headers=world.shop.cashier)).status_code == 403
        assert (
            await client.get("/api/reconciliation", headers=world.shop.cashier)
        ).status_code == 403
        # A manager of another sede does not see it at all.
        assert (await client.post(url, json=body, headers=world.manager_norte)).status_code == 404
        assert await findings(client, world.manager_norte) == []

        r = await client.post(url, json=body, headers=world.shop.manager)
        assert r.status_code == 200, r.text
        acked = r.json()
        assert acked["status"] == "acknowledged"
        assert acked["ack_note"] == body["note"]
        assert acked["acknowledged_by"] is not None
        assert acked["acknowledged_at"] is not None
        again = await client.post(url, json=body, headers=world.shop.admin)
        assert again.status_code == 409, again.text
        (listed,) = await findings(client, world.shop.manager, status="acknowledged")
        assert listed["id"] == finding_id
        assert await findings(client, world.shop.owner, status="open") == []

        # Still skewed at the next run: the acknowledged finding stays as it is, not a new one.
        r = await client.post("/api/reconciliation/stock/run", headers=world.shop.admin)
        assert r.status_code == 202, r.text
        await run_jobs(cloud_app)
        (still,) = await findings(client, world.shop.admin)
        assert (still["id"], still["status"]) == (finding_id, "acknowledged")

    async def test_only_admins_and_the_owner_run_the_checks(
        self, client: httpx.AsyncClient, world: ReconWorld
    ) -> None:
        for headers in (world.shop.manager, world.shop.cashier):
            r = await client.post("/api/reconciliation/stock/run", headers=headers)
            assert r.status_code == 403, r.text


class TestIsolation:
    async def test_another_tenant_neither_sees_nor_touches_a_finding(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: ReconWorld
    ) -> None:
        finding_id = await _skewed_finding(client, cloud_app, world)
        other = await create_shop(cloud_app, "Otra Tienda")
        assert await findings(client, other.owner) == []
        assert await findings(client, other.owner, sede_id=str(world.shop.sede_id)) == []
        for action in ("acknowledge", "correct"):
            r = await client.post(
                f"/api/reconciliation/{finding_id}/{action}", json={}, headers=other.owner
            )
            assert r.status_code == 404, r.text
        (mine,) = await findings(client, world.shop.owner)
        assert mine["status"] == "open"


class TestParams:
    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"kind": "nope"}, "kind"),
            ({"status": "closed"}, "status"),
            ({"sede_id": "not-a-uuid"}, "sede_id"),
            ({"limit": "0"}, "limit"),
            ({"cursor": "garbage!"}, "cursor"),
        ],
    )
    async def test_a_bad_parameter_is_a_422_naming_it(
        self, client: httpx.AsyncClient, world: ReconWorld, params: dict[str, str], field: str
    ) -> None:
        r = await client.get("/api/reconciliation", params=params, headers=world.shop.admin)
        assert r.status_code == 422, r.text
        assert field in _fields(r)

    async def test_pages_follow_the_cursor(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: ReconWorld
    ) -> None:
        sm = cloud_app.state.sessionmaker
        cajas = [world.caja] + [
            await create_device(sm, world.shop.tenant_id, world.shop.sede_id) for _ in range(2)
        ]
        moved = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
        for caja in cajas:
            r = await client.post(
                "/api/sync/ping", json={"client_now": moved}, headers=caja.headers
            )
            assert r.status_code == 200, r.text
        r = await client.post("/api/reconciliation/stock/run", headers=world.shop.owner)
        assert r.status_code == 202, r.text
        await run_jobs(cloud_app)
        seen: list[str] = []
        cursor: str | None = None
        while True:
            params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
            r = await client.get("/api/reconciliation", params=params, headers=world.shop.admin)
            assert r.status_code == 200, r.text
            page = r.json()
            seen += [f["device_id"] for f in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(str(c.device_id) for c in cajas)
