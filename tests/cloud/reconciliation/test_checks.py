"""The periodic checks: a caja with a skewed clock and a caja sitting on ops rejected more
than a day ago are findings; the hourly sweep covers every tenant and never duplicates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from stocky.cloud.embedded import libpq_url
from stocky.cloud.jobs.defer import defer_in
from stocky.cloud.reconciliation.jobs import SWEEP
from tests.cloud.factories import Caja, create_device, create_shop
from tests.cloud.reconciliation.conftest import ReconWorld, findings, push, run_jobs
from tests.cloud.sync.ops import entry_op, sale_op
from tests.fixtures.database import DatabaseUrls

pytestmark = pytest.mark.asyncio

SKEWED = timedelta(minutes=3, seconds=12)
CLOSE = timedelta(seconds=30)


async def _ping(client: httpx.AsyncClient, caja: Caja, skew: timedelta) -> int:
    moved = datetime.now(UTC) + skew
    r = await client.post(
        "/api/sync/ping", json={"client_now": moved.isoformat()}, headers=caja.headers
    )
    assert r.status_code == 200, r.text
    offset: int = r.json()["clock_offset_ms"]
    return offset


async def _run(client: httpx.AsyncClient, app: FastAPI, headers: dict[str, str]) -> None:
    r = await client.post("/api/reconciliation/stock/run", headers=headers)
    assert r.status_code == 202, r.text
    await run_jobs(app)


async def _sweep(app: FastAPI) -> None:
    """The hourly job, queued as its schedule would queue it, then run."""
    async with app.state.sessionmaker() as session, session.begin():
        await defer_in(session, app.state.jobs, SWEEP, timestamp=0)
    await run_jobs(app)


class TestClockSkew:
    async def test_a_skewed_caja_is_flagged_and_cleared_when_its_clock_is_back(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: ReconWorld
    ) -> None:
        close = await create_device(
            cloud_app.state.sessionmaker, world.shop.tenant_id, world.shop.sede_id
        )
        offset = await _ping(client, world.caja, SKEWED)
        await _ping(client, close, -CLOSE)
        await _run(client, cloud_app, world.shop.admin)
        (skew,) = await findings(client, world.shop.admin, kind="clock_skew")
        assert skew["device_id"] == str(world.caja.device_id)
        assert skew["details"]["clock_offset_ms"] == offset
        assert (
            float(skew["details"]["threshold_s"]) == cloud_app.state.settings.clock_skew_threshold_s
        )

        await _ping(client, world.caja, timedelta(0))
        await _run(client, cloud_app, world.shop.admin)
        (cleared,) = await findings(client, world.shop.admin, kind="clock_skew")
        assert cleared["status"] == "resolved"


class TestRejectedOps:
    async def test_ops_rejected_more_than_a_day_ago_are_counted_per_caja(
        self,
        client: httpx.AsyncClient,
        cloud_app: FastAPI,
        world: ReconWorld,
        database: DatabaseUrls,
    ) -> None:
        unknown = sale_op([(world.rice.id, "1", "2500.00")])
        unknown["payload"]["movements"][0]["product_id"] = "01900000-0000-7000-8000-000000000001"
        old, recent = unknown, entry_op(world.rice.id, "-1")  # an entry must add stock
        results = await push(client, world.caja, [old, recent])
        assert [r["status"] for r in results] == ["rejected", "rejected"]
        with psycopg.connect(libpq_url(database.owner_url), autocommit=True) as conn:
            conn.execute(
                "UPDATE sync_ops SET created_at = now() - interval '2 days' WHERE op_id = %s",
                (old["op_id"],),
            )
        await _run(client, cloud_app, world.shop.admin)
        (found,) = await findings(client, world.shop.admin, kind="rejected_ops")
        assert found["device_id"] == str(world.caja.device_id)
        assert found["details"]["count"] == 1
        (example,) = found["details"]["examples"]
        assert example["op_id"] == old["op_id"]
        assert "unknown product" in example["reason"]


class TestSweep:
    async def test_the_sweep_covers_every_tenant_and_running_it_twice_adds_nothing(
        self,
        client: httpx.AsyncClient,
        cloud_app: FastAPI,
        world: ReconWorld,
        database: DatabaseUrls,
    ) -> None:
        other = await create_shop(cloud_app, "Otra Tienda")
        other_caja = await create_device(
            cloud_app.state.sessionmaker, other.tenant_id, other.sede_id
        )
        await _ping(client, world.caja, SKEWED)
        await _ping(client, other_caja, -SKEWED)
        assert (await push(client, world.caja, [entry_op(world.rice.id, "5")]))[0][
            "status"
        ] == "applied"
        with psycopg.connect(libpq_url(database.owner_url), autocommit=True) as conn:
            conn.execute(
                "UPDATE inventory SET quantity = 7 WHERE tenant_id = %s", (world.shop.tenant_id,)
            )
        await _sweep(cloud_app)
        await _sweep(cloud_app)
        mine = await findings(client, world.shop.admin)
        assert sorted(f["kind"] for f in mine) == ["clock_skew", "stock_drift"]
        assert {f["status"] for f in mine} == {"open"}
        (theirs,) = await findings(client, other.admin)
        assert theirs["kind"] == "clock_skew"
        assert theirs["device_id"] == str(other_caja.device_id)
        assert theirs["details"]["clock_offset_ms"] < 0
