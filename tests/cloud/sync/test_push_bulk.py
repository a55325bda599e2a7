"""Push writes a run of transactions together, and falls back to one savepoint per op when
the database refuses the set: only the culprit is rejected, results stay in batch order."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select

from stocky.cloud.db import tenant_transaction
from stocky.cloud.models import Inventory, Sale, SalePayment, SyncOp, Transaction
from stocky.cloud.sync import apply as sync_apply
from stocky.core.ids import new_id
from tests.cloud.sync.conftest import SyncWorld
from tests.cloud.sync.ops import entry_op, push_body, sale_op

pytestmark = pytest.mark.asyncio


@pytest.fixture
def per_op(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The op_ids applied one savepoint each (the fallback), not in the set-based write."""
    calls: list[str] = []
    original = sync_apply.apply_in_savepoint

    async def spy(session, ctx):  # type: ignore[no-untyped-def]
        calls.append(str(ctx.op.op_id))
        return await original(session, ctx)

    monkeypatch.setattr(sync_apply, "apply_in_savepoint", spy)
    return calls


async def _push(client: httpx.AsyncClient, world: SyncWorld, ops) -> list[dict]:
    response = await client.post(
        "/api/sync/push", json=push_body(world, ops), headers=world.caja.headers
    )
    assert response.status_code == 200, response.text
    results: list[dict] = response.json()["results"]
    assert [r["op_id"] for r in results] == [op["op_id"] for op in ops], "one result per op"
    return results


async def _counts(cloud_app, world: SyncWorld) -> dict[str, object]:
    async with tenant_transaction(cloud_app.state.sessionmaker, world.shop.tenant_id) as s:
        stock = await s.get(Inventory, (world.shop.tenant_id, world.shop.sede_id, world.rice.id))
        return {
            "stock": stock.quantity if stock else None,
            "sales": (await s.execute(select(func.count()).select_from(Sale))).scalar(),
            "payments": (await s.execute(select(func.count()).select_from(SalePayment))).scalar(),
            "movements": (await s.execute(select(func.count()).select_from(Transaction))).scalar(),
            "ops": dict(
                (await s.execute(select(SyncOp.status, func.count()).group_by(SyncOp.status))).all()
            ),
        }


class TestBulkFallback:
    async def test_a_clean_run_is_written_together(self, client, world, per_op) -> None:
        ops = [sale_op([(world.rice.id, "1", "2500.00")], number=n) for n in range(1, 6)]
        ops.append(entry_op(world.cheese.id, "2.5"))
        results = await _push(client, world, ops)
        assert [r["status"] for r in results] == ["applied"] * 6
        assert per_op == []

    async def test_unique_violation_rejects_only_the_culprit(
        self, client, cloud_app, world, per_op
    ) -> None:
        # Receipt number 7 twice from one caja: the second sale breaks UNIQUE (device, number).
        ops = [
            sale_op([(world.rice.id, "1", "2500.00")], number=6),
            sale_op([(world.rice.id, "2", "2500.00")], number=7),
            sale_op([(world.rice.id, "4", "2500.00")], number=7),
            sale_op([(world.rice.id, "8", "2500.00")], number=8),
        ]
        results = await _push(client, world, ops)
        assert per_op == [op["op_id"] for op in ops], "the set was refused: one by one"
        assert [r["status"] for r in results] == ["applied", "applied", "rejected", "applied"]
        assert "refused by the database" in results[2]["reason"]
        assert results[2]["position"] is None
        assert len({r["position"] for r in results if r["status"] == "applied"}) == 1
        assert await _counts(cloud_app, world) == {
            "stock": Decimal("-11.000"),
            "sales": 3,
            "payments": 3,
            "movements": 3,
            "ops": {"applied": 3, "rejected": 1},
        }
        replay = await _push(client, world, ops)
        assert [r["status"] for r in replay] == ["duplicate"] * 4
        assert [r["original_status"] for r in replay] == [r["status"] for r in results]
        assert replay[2]["reason"] == results[2]["reason"]

    async def test_movement_id_reused_by_another_op_is_rejected(
        self, client, cloud_app, world
    ) -> None:
        earlier = entry_op(world.rice.id, "100")
        assert (await _push(client, world, [earlier]))[0]["status"] == "applied"
        reused_old = entry_op(world.rice.id, "5")
        reused_old["payload"]["movements"][0]["id"] = earlier["payload"]["movements"][0]["id"]
        first = entry_op(world.rice.id, "1")
        twin = entry_op(world.rice.id, "2")  # same movement id as `first`, in the same batch
        twin["payload"]["movements"][0]["id"] = first["payload"]["movements"][0]["id"]
        last = entry_op(world.rice.id, "3")
        results = await _push(client, world, [reused_old, first, twin, last])
        assert [r["status"] for r in results] == ["rejected", "applied", "rejected", "applied"]
        assert "already recorded by another operation" in results[0]["reason"]
        assert "already recorded by another operation" in results[2]["reason"]
        counts = await _counts(cloud_app, world)
        assert counts["stock"] == Decimal("104.000")
        assert counts["movements"] == 3

    async def test_invalid_ops_are_rejected_before_the_set_is_written(
        self, client, cloud_app, world
    ) -> None:
        bad_sign = entry_op(world.rice.id, "-1")
        unknown = entry_op(uuid.uuid4(), "1")
        no_header = sale_op([(world.rice.id, "1", "2500.00")], number=2)
        no_header["payload"]["sale"] = None
        good = sale_op([(world.rice.id, "1", "2500.00")], number=3)
        results = await _push(client, world, [bad_sign, unknown, no_header, good])
        assert [r["status"] for r in results] == ["rejected", "rejected", "rejected", "applied"]
        assert "quantity" in results[0]["reason"]
        assert (
            results[1]["reason"]
            == f"unknown product {unknown['payload']['movements'][0]['product_id']}"
        )
        assert "payload.sale" in results[2]["reason"]
        assert (await _counts(cloud_app, world))["stock"] == Decimal("-1.000")


class TestBatchOrder:
    async def test_same_op_twice_in_a_batch_applies_once(self, client, cloud_app, world) -> None:
        op = sale_op([(world.rice.id, "2", "2500.00")])
        results = await _push(client, world, [op, op])
        assert [r["status"] for r in results] == ["applied", "duplicate"]
        assert results[1]["original_status"] == "applied"
        assert results[1]["position"] == results[0]["position"]
        assert (await _counts(cloud_app, world))["stock"] == Decimal("-2.000")

    async def test_replayed_op_repeated_in_a_batch_is_duplicate_of_its_first_delivery(
        self, client, world
    ) -> None:
        op = entry_op(world.rice.id, "1")
        await _push(client, world, [op])
        results = await _push(client, world, [op, op])
        assert [(r["status"], r["original_status"]) for r in results] == [
            ("duplicate", "applied"),
            ("duplicate", "applied"),
        ]

    async def test_a_product_created_mid_batch_sells_in_the_same_batch(
        self, client, cloud_app, world
    ) -> None:
        product_id = new_id()
        create = {
            "op_id": str(new_id()),
            "kind": "product.upsert",
            "entity_id": str(product_id),
            "base_version": 0,
            "client_ts": datetime.now(UTC).isoformat(),
            "payload": {"id": str(product_id), "sku": "NEW-1", "name": "Nuevo", "price": "10.00"},
        }
        ops = [
            sale_op([(world.rice.id, "1", "2500.00")], number=1),
            create,
            sale_op([(product_id, "3", "10.00"), (world.rice.id, "1", "2500.00")], number=2),
        ]
        results = await _push(client, world, ops)
        assert [r["status"] for r in results] == ["applied", "applied", "applied"]
        async with tenant_transaction(cloud_app.state.sessionmaker, world.shop.tenant_id) as s:
            new = await s.get(Inventory, (world.shop.tenant_id, world.shop.sede_id, product_id))
            assert new is not None
            assert new.quantity == Decimal("-3.000")
        assert (await _counts(cloud_app, world))["stock"] == Decimal("-2.000")
