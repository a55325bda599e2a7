"""GET /api/dashboard: sales pushed by real cajas, bucketed by the tenant's days (Bogotá,
UTC-5, so a local evening is the next UTC date), zero days and zero sedes listed, money
exact, sync health per sede, stock alerts; held to the manager's sede, never another
tenant's; a caja's credential and no credential get 401."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from stocky.cloud.dashboard import service
from stocky.cloud.db import tenant_transaction
from stocky.cloud.models import Device, Inventory, Tenant
from stocky.cloud.models import SyncOp as SyncOpRow
from tests.cloud.factories import create_device, create_sede, create_shop, create_user, token_for
from tests.cloud.sales.helpers import a_sale, push
from tests.cloud.sync.conftest import SyncWorld, world
from tests.cloud.sync.ops import return_op

pytestmark = pytest.mark.asyncio
__all__ = ["world"]
URL = "/api/dashboard"
BOGOTA = ZoneInfo("America/Bogota")
# "Now" for these tests: 15:00 in Bogotá on 20 November (20:00 UTC).
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=BOGOTA)
TODAY = date(2026, 11, 20)


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BOGOTA)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "_now", lambda: NOW.astimezone(UTC))


async def in_bogota(app: FastAPI, tenant_id: uuid.UUID) -> None:
    async with tenant_transaction(app.state.sessionmaker, tenant_id) as session:
        await session.execute(
            update(Tenant).where(Tenant.id == tenant_id).values(timezone="America/Bogota")
        )


async def dashboard(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> dict[str, Any]:
    r = await client.get(URL, params=params, headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def day_of(body: dict[str, Any], d: date) -> dict[str, Any]:
    (found,) = [x for x in body["last_30_days"] if x["date"] == d.isoformat()]
    return found


class TestTakings:
    async def test_local_days_around_midnight(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: SyncWorld
    ) -> None:
        await in_bogota(cloud_app, world.shop.tenant_id)
        await push(
            client,
            world.caja,
            [
                # 23:30 local on the 19th is 04:30 UTC on the 20th: it is the 19th's.
                a_sale(world, 1, price="100.00", when=local(19, 23, 30)),
                a_sale(world, 2, price="200.00", when=local(20, 0, 10)),
                a_sale(world, 3, price="400.00", when=local(20, 14, 59)),
                # The first of the 30 days starts at local midnight of 22 October...
                a_sale(world, 4, price="800.00", when=local(22, 0, 0, month=10)),
                # ...and one minute before is out of the window.
                a_sale(world, 5, price="1600.00", when=local(21, 23, 59, month=10)),
            ],
        )
        body = await dashboard(client, world.shop.owner)
        assert body["timezone"] == "America/Bogota"
        assert body["currency"] == "COP"
        assert body["today"]["date"] == "2026-11-20"
        assert (body["today"]["total"], body["today"]["count"]) == ("600.00", 2)
        assert day_of(body, date(2026, 11, 19)) == {
            "date": "2026-11-19",
            "total": "100.00",
            "count": 1,
        }
        days = body["last_30_days"]
        assert len(days) == 30
        assert [d["date"] for d in days] == [
            (TODAY - timedelta(days=29 - i)).isoformat() for i in range(30)
        ]
        assert days[0] == {"date": "2026-10-22", "total": "800.00", "count": 1}
        assert days[-1] == {"date": "2026-11-20", "total": "600.00", "count": 2}
        assert sum(Decimal(d["total"]) for d in days) == Decimal("1500.00")
        # Every other day is listed with zeros.
        assert sum(1 for d in days if d["count"] == 0) == 27
        assert {d["total"] for d in days if d["count"] == 0} == {"0.00"}
        assert datetime.fromisoformat(body["as_of"]) == NOW

    async def test_a_day_of_25_hours_when_summer_time_ends(
        self,
        client: httpx.AsyncClient,
        cloud_app: FastAPI,
        world: SyncWorld,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        madrid = ZoneInfo("Europe/Madrid")  # 25 October 2026: 03:00 CEST is 02:00 CET
        monkeypatch.setattr(
            service, "_now", lambda: datetime(2026, 11, 10, 12, tzinfo=madrid).astimezone(UTC)
        )
        async with tenant_transaction(cloud_app.state.sessionmaker, world.shop.tenant_id) as s:
            await s.execute(
                update(Tenant)
                .where(Tenant.id == world.shop.tenant_id)
                .values(timezone="Europe/Madrid", currency="EUR")
            )
        await push(
            client,
            world.caja,
            [
                a_sale(world, 1, price="1.00", when=datetime(2026, 10, 25, 0, 30, tzinfo=madrid)),
                # 23:30 local, 22:30 UTC: the 25-hour day's last hour but one.
                a_sale(world, 2, price="2.00", when=datetime(2026, 10, 25, 23, 30, tzinfo=madrid)),
                # 00:30 local on the 26th is still the 25th in UTC.
                a_sale(world, 3, price="4.00", when=datetime(2026, 10, 26, 0, 30, tzinfo=madrid)),
            ],
        )
        body = await dashboard(client, world.shop.owner)
        assert (body["currency"], body["timezone"]) == ("EUR", "Europe/Madrid")
        assert day_of(body, date(2026, 10, 25)) == {
            "date": "2026-10-25",
            "total": "3.00",
            "count": 2,
        }
        assert day_of(body, date(2026, 10, 26)) == {
            "date": "2026-10-26",
            "total": "4.00",
            "count": 1,
        }

    async def test_money_is_exact_and_sedes_without_sales_are_zero(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: SyncWorld
    ) -> None:
        await in_bogota(cloud_app, world.shop.tenant_id)
        quiet = await create_sede(cloud_app.state.sessionmaker, world.shop.tenant_id, "Norte")
        await push(
            client,
            world.caja,
            [
                a_sale(world, 1, units="1", price="0.10", when=local(20, 9)),
                a_sale(world, 2, units="2", price="0.10", when=local(20, 10)),
                a_sale(world, 3, units="3", price="0.10", when=local(20, 11)),
            ],
        )
        body = await dashboard(client, world.shop.owner)
        # 0.1 + 0.2 + 0.3 as binary floats would be 0.6000000000000001.
        assert body["today"]["total"] == "0.60"
        per_sede = {s["name"]: s for s in body["today"]["per_sede"]}
        assert per_sede["Centro"] == {
            "sede_id": str(world.shop.sede_id),
            "name": "Centro",
            "total": "0.60",
            "count": 3,
            "refunds_total": "0.00",
        }
        assert per_sede["Norte"] == {
            "sede_id": str(quiet),
            "name": "Norte",
            "total": "0.00",
            "count": 0,
            "refunds_total": "0.00",
        }
        assert [s["name"] for s in body["sedes"]] == ["Centro", "Norte"]

    async def test_refunds_of_today_are_apart(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: SyncWorld
    ) -> None:
        await in_bogota(cloud_app, world.shop.tenant_id)
        sale = a_sale(world, 1, units="2", price="2500.00", when=local(20, 9))
        back = return_op(sale, [(0, "1")])
        back["payload"]["return"]["refund_total"] = "2500.00"
        back["client_ts"] = back["payload"]["client_ts"] = local(20, 10).isoformat()
        await push(client, world.caja, [sale, back])
        body = await dashboard(client, world.shop.owner)
        assert body["today"]["total"] == "5000.00"  # the sales' gross
        assert body["today"]["refunds"] == {"total": "2500.00", "count": 1}
        assert body["today"]["per_sede"][0]["refunds_total"] == "2500.00"


class TestSedes:
    async def test_health_counts_cajas_drift_and_rejected_ops(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: SyncWorld
    ) -> None:
        sm = cloud_app.state.sessionmaker
        other = await create_device(sm, world.shop.tenant_id, world.shop.sede_id)
        revoked = await create_device(sm, world.shop.tenant_id, world.shop.sede_id)
        async with tenant_transaction(sm, world.shop.tenant_id) as session:
            for device_id, offset, status in (
                (world.caja.device_id, 1_200, "active"),
                (other.device_id, -400_000, "active"),
                (revoked.device_id, 9_000_000, "revoked"),
            ):
                await session.execute(
                    update(Device)
                    .where(Device.tenant_id == world.shop.tenant_id, Device.id == device_id)
                    .values(clock_offset_ms=offset, status=status)
                )
            for status in ("rejected", "rejected", "conflict", "applied"):
                session.add(
                    SyncOpRow(
                        tenant_id=world.shop.tenant_id,
                        op_id=uuid.uuid4(),
                        sede_id=world.shop.sede_id,
                        device_id=world.caja.device_id,
                        kind="transaction.create",
                        body_hash="x" * 64,
                        status=status,
                        result={},
                    )
                )
        await client.post("/api/sync/ping", json={}, headers=world.caja.headers)
        body = await dashboard(client, world.shop.owner)
        (sede,) = body["sedes"]
        assert sede["sede_id"] == str(world.shop.sede_id)
        assert sede["devices"] == 2  # the revoked caja is not counted
        assert sede["max_clock_offset_ms"] == 400_000
        assert sede["clock_untrusted"] is True  # past 5 minutes
        assert (sede["rejected_ops"], sede["conflict_ops"]) == (2, 1)
        assert sede["pending_ops"] is None  # no caja reported its outbox yet
        # A caja's ping reports what it still has to push; the dashboard adds the cajas up.
        reported = await client.post(
            "/api/sync/ping", json={"pending_ops": 7, "stuck_ops": 1}, headers=world.caja.headers
        )
        assert reported.status_code == 200, reported.text
        (sede,) = (await dashboard(client, world.shop.owner))["sedes"]
        assert sede["pending_ops"] == 7
        devices = await client.get("/api/devices", headers=world.shop.owner)
        mine = [d for d in devices.json() if d["pending_ops"] is not None]
        assert [(d["pending_ops"], d["stuck_ops"]) for d in mine] == [(7, 1)]
        refused = await client.post(
            "/api/sync/ping", json={"pending_ops": -1}, headers=world.caja.headers
        )
        assert refused.status_code == 422
        assert "pending_ops" in refused.text
        assert sede["online"] is True
        assert sede["active"] is True
        assert sede["last_ping_at"] is not None
        assert body["open_transfers"] == 0

    async def test_stock_alerts_follow_the_matrix_rules(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: SyncWorld
    ) -> None:
        sm = cloud_app.state.sessionmaker
        tenant = world.shop.tenant_id
        norte = await create_sede(sm, tenant, "Norte")
        async with tenant_transaction(sm, tenant) as session:
            for sede_id, product, qty, minimum in (
                (world.shop.sede_id, world.rice.id, "2", "5"),  # low
                (world.shop.sede_id, world.cheese.id, "-1.5", "0"),  # negative
                (norte, world.rice.id, "5", "5"),  # low: at the minimum
                (norte, world.cheese.id, "6", "5"),  # fine
            ):
                session.add(
                    Inventory(
                        tenant_id=tenant,
                        sede_id=sede_id,
                        product_id=product,
                        quantity=Decimal(qty),
                        min_stock=Decimal(minimum),
                    )
                )
        body = await dashboard(client, world.shop.owner)
        assert (body["low_stock_count"], body["negative_stock_count"]) == (2, 1)
        one = await dashboard(client, world.shop.owner, sede_id=str(norte))
        assert (one["low_stock_count"], one["negative_stock_count"]) == (1, 0)
        # Cached under the stock generation: a change of the tenant's stock is seen. The
        # rice at Centro goes 2 -> -1: negative, and still low (as the matrix flags it).
        await push(client, world.caja, [a_sale(world, 1, units="3", when=local(20, 9))])
        again = await dashboard(client, world.shop.owner)
        assert (again["low_stock_count"], again["negative_stock_count"]) == (2, 2)


class TestScope:
    async def test_manager_sees_only_its_sede(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: SyncWorld
    ) -> None:
        sm = cloud_app.state.sessionmaker
        tenant = world.shop.tenant_id
        norte = await create_sede(sm, tenant, "Norte")
        norte_caja = await create_device(sm, tenant, norte)
        await push(client, world.caja, [a_sale(world, 1, price="100.00", when=local(20, 9))])
        await push(
            client, norte_caja, [a_sale(world, 1, price="7.00", when=local(20, 9), prefix="C02")]
        )
        owner = await dashboard(client, world.shop.owner)
        assert owner["today"]["total"] == "107.00"
        assert owner["sede_id"] is None
        manager = token_for(cloud_app, await create_user(sm, tenant, "manager", norte))
        mine = await dashboard(client, manager)
        assert mine["sede_id"] == str(norte)
        assert mine["today"]["total"] == "7.00"
        assert [s["name"] for s in mine["today"]["per_sede"]] == ["Norte"]
        assert [s["name"] for s in mine["sedes"]] == ["Norte"]
        assert sum(Decimal(d["total"]) for d in mine["last_30_days"]) == Decimal("7.00")
        assert (await dashboard(client, manager, sede_id=str(norte)))["today"]["count"] == 1
        r = await client.get(URL, params={"sede_id": str(world.shop.sede_id)}, headers=manager)
        assert r.status_code == 403, r.text
        # The owner can hold the figures to one sede.
        centro = await dashboard(client, world.shop.owner, sede_id=str(world.shop.sede_id))
        assert centro["today"]["total"] == "100.00"
        assert [s["name"] for s in centro["sedes"]] == ["Centro"]

    async def test_cashier_has_no_dashboard(
        self, client: httpx.AsyncClient, world: SyncWorld
    ) -> None:
        r = await client.get(URL, headers=world.shop.cashier)
        assert r.status_code == 403, r.text

    async def test_unknown_sede_is_404_naming_it(
        self, client: httpx.AsyncClient, world: SyncWorld
    ) -> None:
        r = await client.get(URL, params={"sede_id": str(uuid.uuid4())}, headers=world.shop.owner)
        assert r.status_code == 404, r.text
        assert "sede_id" in r.text

    async def test_another_tenant_never(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: SyncWorld
    ) -> None:
        await push(client, world.caja, [a_sale(world, 1, price="100.00", when=local(20, 9))])
        other = await create_shop(cloud_app, "Otra")
        body = await dashboard(client, other.owner)
        assert body["today"]["total"] == "0.00"
        assert [s["sede_id"] for s in body["sedes"]] == [str(other.sede_id)]
        assert [s["sede_id"] for s in body["today"]["per_sede"]] == [str(other.sede_id)]
        assert sum(d["count"] for d in body["last_30_days"]) == 0
        r = await client.get(URL, params={"sede_id": str(world.shop.sede_id)}, headers=other.owner)
        assert r.status_code == 404, r.text

    async def test_caja_credential_and_no_credential_are_401(
        self, client: httpx.AsyncClient, world: SyncWorld
    ) -> None:
        assert (await client.get(URL)).status_code == 401
        assert (await client.get(URL, headers=world.caja.headers)).status_code == 401

    async def test_bad_sede_id_is_422(self, client: httpx.AsyncClient, world: SyncWorld) -> None:
        r = await client.get(URL, params={"sede_id": "nope"}, headers=world.shop.owner)
        assert r.status_code == 422, r.text
        assert "sede_id" in r.text
