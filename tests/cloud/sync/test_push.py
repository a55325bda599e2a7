"""Push: one transaction per batch, one result per op, idempotent by op_id."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select

from stocky.cloud.db import tenant_transaction
from stocky.cloud.models import Inventory, Sale, SyncLog, SyncOp, Transaction
from tests.cloud.sync.conftest import SyncWorld
from tests.cloud.sync.faults import fail_movements_of
from tests.cloud.sync.ops import entry_op, push_body, sale_op
from tests.fixtures.database import DatabaseUrls

pytestmark = pytest.mark.asyncio


async def _push(client: httpx.AsyncClient, world: SyncWorld, ops, **extra) -> httpx.Response:
    return await client.post(
        "/api/sync/push", json=push_body(world, ops, **extra), headers=world.caja.headers
    )


async def _stock(cloud_app, world: SyncWorld, product_id: uuid.UUID) -> Decimal | None:
    async with tenant_transaction(cloud_app.state.sessionmaker, world.shop.tenant_id) as s:
        row = await s.get(Inventory, (world.shop.tenant_id, world.shop.sede_id, product_id))
        return row.quantity if row else None


class TestApply:
    async def test_sale_applies_with_movements_payments_and_stock(
        self, client, cloud_app, world: SyncWorld
    ) -> None:
        op = sale_op([(world.rice.id, "2", "2500.00"), (world.cheese.id, "0.375", "24000.00")])
        response = await _push(client, world, [op])
        assert response.status_code == 200, response.text
        (result,) = response.json()["results"]
        assert result["status"] == "applied"
        assert result["position"]
        assert await _stock(cloud_app, world, world.rice.id) == Decimal("-2.000")
        assert await _stock(cloud_app, world, world.cheese.id) == Decimal("-0.375")
        async with tenant_transaction(cloud_app.state.sessionmaker, world.shop.tenant_id) as s:
            sale = (await s.execute(select(Sale))).scalar_one()
            assert sale.total == Decimal("14000.00")
            assert sale.device_id == world.caja.device_id
            movements = (await s.execute(select(Transaction))).scalars().all()
            assert {m.op_id for m in movements} == {uuid.UUID(op["op_id"])}
            log = (await s.execute(select(SyncLog))).scalar_one()
            assert log.items_count == 1
            assert log.statuses == {"applied": 1}

    async def test_replayed_batch_changes_nothing(self, client, cloud_app, world) -> None:
        ops = [sale_op([(world.rice.id, "1", "2500.00")], number=n) for n in (1, 2)]
        first = await _push(client, world, ops)
        second = await _push(client, world, ops)
        assert [r["status"] for r in first.json()["results"]] == ["applied", "applied"]
        replay = second.json()["results"]
        assert [r["status"] for r in replay] == ["duplicate", "duplicate"]
        assert [r["original_status"] for r in replay] == ["applied", "applied"]
        assert [r["position"] for r in replay] == [r["position"] for r in first.json()["results"]]
        assert await _stock(cloud_app, world, world.rice.id) == Decimal("-2.000")

    async def test_same_op_id_with_another_body_is_refused(self, client, cloud_app, world) -> None:
        op = sale_op([(world.rice.id, "1", "2500.00")])
        await _push(client, world, [op])
        forged = sale_op([(world.rice.id, "50", "2500.00")], op_id=uuid.UUID(op["op_id"]))
        (result,) = (await _push(client, world, [forged])).json()["results"]
        assert result["status"] == "rejected"
        assert "different operation" in result["reason"]
        assert await _stock(cloud_app, world, world.rice.id) == Decimal("-1.000")

    async def test_poison_op_does_not_block_the_ones_after_it(
        self, client, cloud_app, world
    ) -> None:
        good1 = entry_op(world.rice.id, "10")
        poison = entry_op(uuid.uuid4(), "5")  # a product the cloud never heard of
        bad_sign = entry_op(world.rice.id, "-3")
        good2 = sale_op([(world.rice.id, "4", "2500.00")])
        results = (await _push(client, world, [good1, poison, bad_sign, good2])).json()["results"]
        assert [r["status"] for r in results] == ["applied", "rejected", "rejected", "applied"]
        assert "unknown product" in results[1]["reason"]
        assert results[2]["reason"]
        assert await _stock(cloud_app, world, world.rice.id) == Decimal("6.000")
        async with tenant_transaction(cloud_app.state.sessionmaker, world.shop.tenant_id) as s:
            rejected = (
                (await s.execute(select(SyncOp).where(SyncOp.status == "rejected"))).scalars().all()
            )
            assert len(rejected) == 2, "rejected ops are recorded"
        replay = (await _push(client, world, [poison])).json()["results"][0]
        assert replay["status"] == "duplicate"
        assert replay["original_status"] == "rejected"

    async def test_bad_payload_is_rejected_naming_the_field(self, client, world) -> None:
        op = entry_op(world.rice.id, "1")
        op["payload"]["movements"][0]["quantity"] = "mucho"
        (result,) = (await _push(client, world, [op])).json()["results"]
        assert result["status"] == "rejected"
        assert "quantity" in result["reason"]

    async def test_far_future_client_time_is_refused(self, client, cloud_app, world) -> None:
        now = datetime.now(UTC)
        future = sale_op([(world.rice.id, "1", "2500.00")], client_ts=now + timedelta(hours=3))
        ok = sale_op([(world.rice.id, "1", "2500.00")], number=2)
        results = (await _push(client, world, [future, ok], client_now=now.isoformat())).json()[
            "results"
        ]
        assert [r["status"] for r in results] == ["rejected", "applied"]
        assert "future" in results[0]["reason"]

    async def test_clock_offset_is_measured_and_corrects_the_check(self, client, world) -> None:
        # The caja runs 2 hours fast: its stamps look future but are consistent with its clock.
        skew = timedelta(hours=2)
        now = datetime.now(UTC) + skew
        op = sale_op([(world.rice.id, "1", "2500.00")], client_ts=now)
        body = (await _push(client, world, [op], client_now=now.isoformat())).json()
        assert body["results"][0]["status"] == "applied"
        assert abs(body["clock_offset_ms"] - skew.total_seconds() * 1000) < 60_000


class TestProducts:
    async def test_stale_edit_is_a_conflict_and_the_cloud_row_stands(
        self, client, cloud_app, world
    ) -> None:
        edit = {
            "op_id": str(uuid.uuid4()),
            "kind": "product.upsert",
            "entity_id": str(world.rice.id),
            "base_version": 1,
            "client_ts": datetime.now(UTC).isoformat(),
            "payload": {
                "id": str(world.rice.id),
                "sku": "ARZ-500",
                "name": "Arroz editado en caja",
                "price": "2600.00",
            },
        }
        first = (await _push(client, world, [edit])).json()["results"][0]
        assert first["status"] == "applied"
        assert first["server_version"] == 2
        stale = {**edit, "op_id": str(uuid.uuid4())}
        stale["payload"] = {**edit["payload"], "name": "Otra edicion", "price": "1.00"}
        second = (await _push(client, world, [stale])).json()["results"][0]
        assert second["status"] == "conflict"
        assert second["server_version"] == 2
        async with tenant_transaction(cloud_app.state.sessionmaker, world.shop.tenant_id) as s:
            loser = await s.get(SyncOp, (world.shop.tenant_id, uuid.UUID(stale["op_id"])))
            assert loser is not None
            assert loser.payload["name"] == "Otra edicion", "the losing side is kept"
            assert loser.status == "conflict"


class TestBoundaries:
    async def test_another_sede_is_forbidden(self, client, world) -> None:
        body = push_body(world, [entry_op(world.rice.id, "1")])
        body["sede_id"] = str(uuid.uuid4())
        response = await client.post("/api/sync/push", json=body, headers=world.caja.headers)
        assert response.status_code == 403
        assert "sede_id" in response.json()["message"]

    async def test_a_user_token_is_not_a_device(self, client, world) -> None:
        body = push_body(world, [entry_op(world.rice.id, "1")])
        response = await client.post("/api/sync/push", json=body, headers=world.shop.owner)
        assert response.status_code == 401

    async def test_batch_over_50_is_422(self, client, world) -> None:
        ops = [entry_op(world.rice.id, "1") for _ in range(51)]
        response = await _push(client, world, ops)
        assert response.status_code == 422
        assert "operations" in response.json()["message"]

    async def test_database_failure_rolls_back_the_whole_batch(
        self, client, cloud_app, world, database: DatabaseUrls
    ) -> None:
        # Fails like a broken disk would, for one product only.
        fail_movements_of(
            database, world.cheese.id, sqlstate="58030", message="simulated I/O error"
        )
        ops = [entry_op(world.rice.id, "5"), entry_op(world.cheese.id, "1")]
        response = await _push(client, world, ops)
        assert response.status_code == 503
        assert "nothing was changed" in response.json()["message"]
        assert await _stock(cloud_app, world, world.rice.id) is None
        async with tenant_transaction(cloud_app.state.sessionmaker, world.shop.tenant_id) as s:
            assert (await s.execute(select(SyncOp))).first() is None


async def test_concurrent_duplicate_deliveries_apply_once(client, cloud_app, world) -> None:
    op = sale_op([(world.rice.id, "3", "2500.00")])
    responses = await asyncio.gather(*(_push(client, world, [op]) for _ in range(4)))
    statuses = sorted(r.json()["results"][0]["status"] for r in responses)
    assert statuses == ["applied", "duplicate", "duplicate", "duplicate"]
    assert await _stock(cloud_app, world, world.rice.id) == Decimal("-3.000")


class TestPullBoundaries:
    async def test_pull_of_another_sede_is_forbidden(self, client, world) -> None:
        body = {"sede_id": str(uuid.uuid4()), "cursor": None, "limit": 10}
        response = await client.post("/api/sync/pull", json=body, headers=world.caja.headers)
        assert response.status_code == 403

    async def test_pull_limit_is_bounded(self, client, world) -> None:
        body = {"sede_id": str(world.caja.sede_id), "limit": 100_000}
        response = await client.post("/api/sync/pull", json=body, headers=world.caja.headers)
        assert response.status_code == 422
        assert "limit" in response.json()["message"]

    async def test_pull_serves_own_stock_and_catalog_as_exact_decimals(self, client, world) -> None:
        await _push(client, world, [entry_op(world.cheese.id, "1.250")])
        body = {"sede_id": str(world.caja.sede_id), "limit": 500}
        response = await client.post("/api/sync/pull", json=body, headers=world.caja.headers)
        assert response.status_code == 200
        page = response.json()
        stock = [c for c in page["changes"] if c["entity"] == "inventory"]
        assert stock[-1]["data"]["quantity"] == "1.250", "decimals travel as exact strings"
        products = {c["entity_id"] for c in page["changes"] if c["entity"] == "products"}
        assert {str(world.rice.id), str(world.cheese.id)} <= products
        assert page["has_more"] is False
