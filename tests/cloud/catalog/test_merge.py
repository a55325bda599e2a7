"""Merging duplicate products (issue 18 item 4): every movement kept, stock summed per sede,
open transfer lines moved, refusals, a caja's op pushed after the merge, the API and the feed."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from stocky.cloud.catalog.merge import MergeRefusedError, MergeResult, merge_products
from stocky.cloud.db import SessionMaker, tenant_transaction
from stocky.cloud.inventory.service import Movement, record_movements
from stocky.cloud.models import (
    AuditLog,
    Inventory,
    Product,
    ProductBarcode,
    ProductMerge,
    Transaction,
    Transfer,
    TransferLine,
)
from stocky.cloud.reports import rollups
from stocky.cloud.reports.rollups import PRODUCT_DAILY
from stocky.core.errors import FieldError
from stocky.core.ids import new_id
from tests.cloud.factories import (
    Shop,
    create_device,
    create_product,
    create_sede,
    create_shop,
)
from tests.cloud.sync.conftest import SyncWorld
from tests.cloud.sync.ops import entry_op, push_body, return_op, sale_op

pytestmark = pytest.mark.asyncio


async def _move(
    sm: SessionMaker, tenant_id: uuid.UUID, sede_id: uuid.UUID, product_id: uuid.UUID, qty: str
) -> None:
    q = Decimal(qty)
    movement = Movement(
        product_id=product_id,
        type="entry" if q > 0 else "sale",
        quantity=q,
        client_timestamp=datetime.now(UTC),
        document_id=new_id(),
    )
    async with tenant_transaction(sm, tenant_id) as session:
        await record_movements(session, tenant_id, sede_id, [movement])


async def _merge(
    sm: SessionMaker, tenant_id: uuid.UUID, survivor: uuid.UUID, merged: list[uuid.UUID]
) -> MergeResult:
    async with tenant_transaction(sm, tenant_id) as session:
        return await merge_products(
            session,
            tenant_id=tenant_id,
            survivor_id=survivor,
            merged_ids=merged,
            actor_user_id=None,
        )


async def _ledger(
    sm: SessionMaker, tenant_id: uuid.UUID
) -> tuple[dict[uuid.UUID, tuple[uuid.UUID, uuid.UUID, Decimal]], dict[Any, Decimal]]:
    """Every movement (id -> sede, product, quantity) and every stock row's quantity."""
    async with tenant_transaction(sm, tenant_id) as session:
        moves = await session.execute(
            select(
                Transaction.id, Transaction.sede_id, Transaction.product_id, Transaction.quantity
            )
        )
        stock = await session.execute(
            select(Inventory.sede_id, Inventory.product_id, Inventory.quantity)
        )
        return (
            {mid: (sede, pid, qty) for mid, sede, pid, qty in moves},
            {(sede, pid): qty for sede, pid, qty in stock},
        )


CATALOG = st.integers(2, 4)  # products; the first is the survivor
MOVES = st.lists(
    st.tuples(
        st.integers(0, 3),  # product (mod the catalog's size)
        st.integers(0, 2),  # sede (mod 2 or 3)
        st.sampled_from(["1", "2.5", "7", "-1", "-0.125", "-3"]),
    ),
    max_size=12,
)


@settings(
    max_examples=int(os.environ.get("STOCKY_PROPERTY_EXAMPLES", "12")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(size=CATALOG, sedes=st.integers(2, 3), moves=MOVES, merged_count=st.integers(1, 3))
async def test_merge_keeps_every_movement_and_sums_stock_per_sede(
    cloud_app: FastAPI, size: int, sedes: int, moves: list[tuple[int, int, str]], merged_count: int
) -> None:
    sm = cloud_app.state.sessionmaker
    shop = await create_shop(cloud_app)
    sede_ids = [shop.sede_id] + [await create_sede(sm, shop.tenant_id) for _ in range(sedes - 1)]
    products = [(await create_product(sm, shop.tenant_id, unit="weight")).id for _ in range(size)]
    for p, s, qty in moves:
        await _move(sm, shop.tenant_id, sede_ids[s % sedes], products[p % size], qty)
    survivor, merged = products[0], products[1 : 1 + merged_count]
    before_moves, before_stock = await _ledger(sm, shop.tenant_id)

    result = await _merge(sm, shop.tenant_id, survivor, merged)

    after_moves, after_stock = await _ledger(sm, shop.tenant_id)
    assert set(after_moves) == set(before_moves), "every movement is kept"
    for mid, (sede, pid, qty) in before_moves.items():
        assert after_moves[mid] == (sede, survivor if pid in merged else pid, qty)
    assert result.movements == sum(1 for _, pid, _ in before_moves.values() if pid in merged)
    for sede in sede_ids:
        expected = sum(
            (before_stock.get((sede, pid), Decimal(0)) for pid in [survivor, *merged]), Decimal(0)
        )
        assert after_stock.get((sede, survivor), Decimal(0)) == expected
        for pid in merged:
            assert after_stock.get((sede, pid), Decimal(0)) == 0
    # The invariant, everywhere: a stock row is the sum of its movements.
    sums: dict[Any, Decimal] = defaultdict(Decimal)
    for sede, pid, qty in after_moves.values():
        sums[(sede, pid)] += qty
    for key, qty in after_stock.items():
        assert qty == sums.get(key, Decimal(0)), key


class TestRefusals:
    async def test_self_inactive_unknown_other_tenant_and_unit_are_refused(
        self, cloud_app: FastAPI, shop: Shop, other_shop: Shop
    ) -> None:
        sm = cloud_app.state.sessionmaker
        t = shop.tenant_id
        survivor = await create_product(sm, t)
        twin = await create_product(sm, t)
        inactive = await create_product(sm, t, active=False)
        by_weight = await create_product(sm, t, unit="weight")
        foreign = await create_product(sm, other_shop.tenant_id)
        await _move(sm, t, shop.sede_id, twin.id, "4")

        with pytest.raises(FieldError, match="itself"):
            await _merge(sm, t, survivor.id, [twin.id, survivor.id])
        with pytest.raises(MergeRefusedError, match="inactive") as inactive_error:
            await _merge(sm, t, survivor.id, [twin.id, inactive.id])
        assert inactive_error.value.extra["product_id"] == str(inactive.id)
        with pytest.raises(MergeRefusedError, match="inactive"):
            await _merge(sm, t, inactive.id, [twin.id])
        with pytest.raises(FieldError, match=str(foreign.id)):
            await _merge(sm, t, survivor.id, [foreign.id])
        with pytest.raises(FieldError, match="survivor_id"):
            await _merge(sm, t, new_id(), [twin.id])
        with pytest.raises(MergeRefusedError, match="weight") as unit_error:
            await _merge(sm, t, survivor.id, [twin.id, by_weight.id])
        assert unit_error.value.extra["product_id"] == str(by_weight.id)

        moves, stock = await _ledger(sm, t)
        assert {pid for _, pid, _ in moves.values()} == {twin.id}, "nothing moved"
        assert stock[(shop.sede_id, twin.id)] == Decimal("4")
        async with tenant_transaction(sm, t) as session:
            assert (await session.get(Product, (t, twin.id))).active  # type: ignore[union-attr]
            assert (
                await session.execute(select(func.count()).select_from(ProductMerge))
            ).scalar() == 0


async def _transfer(
    sm: SessionMaker,
    tenant_id: uuid.UUID,
    sedes: tuple[uuid.UUID, uuid.UUID],
    status: str,
    lines: list[tuple[uuid.UUID, str]],
) -> uuid.UUID:
    transfer_id = new_id()
    async with tenant_transaction(sm, tenant_id) as session:
        session.add(
            Transfer(
                tenant_id=tenant_id,
                id=transfer_id,
                from_sede_id=sedes[0],
                to_sede_id=sedes[1],
                status=status,
            )
        )
        await session.flush()
        for pid, qty in lines:
            session.add(
                TransferLine(
                    tenant_id=tenant_id,
                    id=new_id(),
                    transfer_id=transfer_id,
                    from_sede_id=sedes[0],
                    to_sede_id=sedes[1],
                    product_id=pid,
                    quantity=Decimal(qty),
                )
            )
    return transfer_id


class TestTransfersAndBarcodes:
    async def test_open_transfer_lines_move_and_sum_and_barcodes_follow(
        self, cloud_app: FastAPI, shop: Shop
    ) -> None:
        sm = cloud_app.state.sessionmaker
        t = shop.tenant_id
        other = await create_sede(sm, t)
        survivor = await create_product(sm, t)
        a = await create_product(sm, t, barcode="7701001")
        b = await create_product(sm, t, barcode="7701002")
        async with tenant_transaction(sm, t) as session:
            session.add(ProductBarcode(tenant_id=t, barcode="7701003", product_id=b.id))
        sedes = (shop.sede_id, other)
        both = await _transfer(sm, t, sedes, "pending", [(survivor.id, "2"), (a.id, "3")])
        merged_only = await _transfer(sm, t, sedes, "processing", [(a.id, "1"), (b.id, "4")])
        done = await _transfer(sm, t, sedes, "completed", [(a.id, "5")])

        result = await _merge(sm, t, survivor.id, [a.id, b.id])

        assert result.transfer_lines == 3
        async with tenant_transaction(sm, t) as session:
            rows = (await session.execute(select(TransferLine))).scalars().all()
            lines = {(r.transfer_id, r.product_id): r.quantity for r in rows}
            products = {p.id: p for p in (await session.execute(select(Product))).scalars()}
            extra = set(
                (
                    await session.execute(select(ProductBarcode.barcode, ProductBarcode.product_id))
                ).all()
            )
            merges = (await session.execute(select(ProductMerge))).scalars().all()
        assert lines == {
            (both, survivor.id): Decimal("5"),
            (merged_only, survivor.id): Decimal("5"),
            (done, a.id): Decimal("5"),  # a completed transfer is history: left as it was
        }
        assert products[survivor.id].barcode == "7701001"
        assert extra == {("7701002", survivor.id), ("7701003", survivor.id)}
        assert sorted(result.barcodes) == ["7701001", "7701002", "7701003"]
        for merged in (a, b):
            assert products[merged.id].active is False
            assert products[merged.id].barcode is None
            assert products[merged.id].version == merged.version + 1
        assert {(m.merged_id, m.survivor_id) for m in merges} == {
            (a.id, survivor.id),
            (b.id, survivor.id),
        }
        assert next(m for m in merges if m.merged_id == b.id).details["barcodes"] == ["7701003"]

    async def test_a_survivor_merged_later_takes_the_earlier_merges_with_it(
        self, cloud_app: FastAPI, shop: Shop
    ) -> None:
        sm = cloud_app.state.sessionmaker
        t = shop.tenant_id
        first, second, third = [(await create_product(sm, t)).id for _ in range(3)]
        await _merge(sm, t, second, [first])
        await _merge(sm, t, third, [second])
        async with tenant_transaction(sm, t) as session:
            rows = (await session.execute(select(ProductMerge))).scalars().all()
        assert {(m.merged_id, m.survivor_id) for m in rows} == {(first, third), (second, third)}


async def _world(app: FastAPI) -> SyncWorld:
    shop = await create_shop(app)
    sm = app.state.sessionmaker
    caja = await create_device(sm, shop.tenant_id, shop.sede_id)
    rice = await create_product(sm, shop.tenant_id, name="Arroz Diana 500 g", sku="ARZ-1")
    twin = await create_product(sm, shop.tenant_id, name="  arroz diana 500gr", sku="ARZ-2")
    return SyncWorld(shop, caja, rice, twin)


async def _push(client: httpx.AsyncClient, world: SyncWorld, ops: list[dict[str, Any]]) -> Any:
    response = await client.post(
        "/api/sync/push", json=push_body(world, ops), headers=world.caja.headers
    )
    assert response.status_code == 200, response.text
    return response.json()["results"]


class TestPendingOpsAtTheCaja:
    async def test_a_sale_of_the_merged_product_pushed_after_the_merge_lands_on_the_survivor(
        self, client: httpx.AsyncClient, cloud_app: FastAPI
    ) -> None:
        world = await _world(cloud_app)
        sm = cloud_app.state.sessionmaker
        t, sede = world.shop.tenant_id, world.shop.sede_id
        survivor, merged = world.rice.id, world.cheese.id
        assert [r["status"] for r in await _push(client, world, [entry_op(merged, "5")])] == [
            "applied"
        ]
        assert [r["status"] for r in await _push(client, world, [entry_op(survivor, "2")])] == [
            "applied"
        ]
        # Queued at the caja while it still knew the twin; pushed once the merge committed.
        pending = sale_op([(merged, "3", "2500.00"), (survivor, "1", "2500.00")])

        await _merge(sm, t, survivor, [merged])
        results = await _push(client, world, [pending])

        assert [r["status"] for r in results] == ["applied"], results
        moves, stock = await _ledger(sm, t)
        assert {pid for _, pid, _ in moves.values()} == {survivor}
        assert len(moves) == 4, "both entries and both sale lines are kept"
        assert stock[(sede, survivor)] == Decimal("3")  # 5 + 2 - 3 - 1
        assert stock[(sede, merged)] == 0

    async def test_a_push_racing_the_merge_waits_for_it_then_maps_to_the_survivor(
        self, client: httpx.AsyncClient, cloud_app: FastAPI
    ) -> None:
        world = await _world(cloud_app)
        sm = cloud_app.state.sessionmaker
        t, sede = world.shop.tenant_id, world.shop.sede_id
        survivor, merged = world.rice.id, world.cheese.id
        await _push(client, world, [entry_op(merged, "5")])
        waiting = text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        async with tenant_transaction(sm, t) as session:
            await merge_products(
                session, tenant_id=t, survivor_id=survivor, merged_ids=[merged], actor_user_id=None
            )
            push = asyncio.create_task(_push(client, world, [sale_op([(merged, "2", "1.00")])]))
            for _ in range(2000):  # until the push queues behind the merge's lock
                async with sm() as probe:
                    if (await probe.execute(waiting)).scalar_one():
                        break
                await asyncio.sleep(0.01)
            else:
                pytest.fail("the push never waited for the merge")
            assert not push.done()
        results = await push

        assert [r["status"] for r in results] == ["applied"], results
        moves, stock = await _ledger(sm, t)
        assert {pid for _, pid, _ in moves.values()} == {survivor}
        assert stock[(sede, survivor)] == Decimal("3")
        assert stock[(sede, merged)] == 0

    async def test_a_return_of_a_line_sold_before_the_merge_lands_on_the_survivor(
        self, client: httpx.AsyncClient, cloud_app: FastAPI
    ) -> None:
        world = await _world(cloud_app)
        sm = cloud_app.state.sessionmaker
        t, sede = world.shop.tenant_id, world.shop.sede_id
        survivor, merged = world.rice.id, world.cheese.id
        sale = sale_op([(merged, "2", "2500.00")])
        await _push(client, world, [entry_op(merged, "4"), sale])

        await _merge(sm, t, survivor, [merged])
        # The caja still names the twin: its sold line now belongs to the survivor.
        results = await _push(client, world, [return_op(sale, [(0, "1")])])

        assert [r["status"] for r in results] == ["applied"], results
        _, stock = await _ledger(sm, t)
        assert stock[(sede, survivor)] == Decimal("3")  # 4 - 2 + 1
        assert stock[(sede, merged)] == 0

    async def test_the_per_product_report_rows_follow_the_movements(
        self, client: httpx.AsyncClient, cloud_app: FastAPI
    ) -> None:
        world = await _world(cloud_app)
        sm = cloud_app.state.sessionmaker
        t = world.shop.tenant_id
        survivor, merged = world.rice.id, world.cheese.id
        await _push(
            client, world, [sale_op([(merged, "2", "2500.00"), (survivor, "1", "2500.00")])]
        )
        await _push(client, world, [sale_op([(merged, "1", "2400.00")], number=2)])

        await _merge(sm, t, survivor, [merged])

        async def daily() -> set[tuple[Any, ...]]:
            async with tenant_transaction(sm, t) as session:
                return {tuple(r) for r in await session.execute(select(PRODUCT_DAILY))}

        kept = await daily()
        async with tenant_transaction(sm, t) as session:
            await rollups.rebuild(session, t)
        assert kept == await daily(), "what a rebuild from the re-pointed movements gives"
        assert {r[PRODUCT_DAILY.c.keys().index("product_id")] for r in kept} == {survivor}

    async def test_the_merged_products_deactivation_is_in_the_pull_feed(
        self, client: httpx.AsyncClient, cloud_app: FastAPI
    ) -> None:
        world = await _world(cloud_app)
        sm = cloud_app.state.sessionmaker
        await _push(client, world, [entry_op(world.cheese.id, "5")])
        body = {"sede_id": str(world.caja.sede_id), "limit": 500}
        first = await client.post("/api/sync/pull", json=body, headers=world.caja.headers)
        cursor = first.json()["cursor"]

        await _merge(sm, world.shop.tenant_id, world.rice.id, [world.cheese.id])
        body = {"sede_id": str(world.caja.sede_id), "cursor": cursor, "limit": 500}
        page = (await client.post("/api/sync/pull", json=body, headers=world.caja.headers)).json()

        products = [c for c in page["changes"] if c["entity"] == "products"]
        twin = [c for c in products if c["entity_id"] == str(world.cheese.id)]
        assert twin, products
        assert twin[-1]["data"]["active"] is False
        assert twin[-1]["version"] == world.cheese.version + 1
        stock = {
            c["data"]["product_id"]: c["data"]["quantity"]
            for c in page["changes"]
            if c["entity"] == "inventory"
        }
        assert stock == {str(world.rice.id): "5.000", str(world.cheese.id): "0.000"}
        moved = [c for c in page["changes"] if c["entity"] == "transactions"]
        assert [c["data"]["product_id"] for c in moved] == [str(world.rice.id)]


class TestRoute:
    async def test_roles_answer_and_audit(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, shop: Shop
    ) -> None:
        sm = cloud_app.state.sessionmaker
        survivor = await create_product(sm, shop.tenant_id)
        twin = await create_product(sm, shop.tenant_id)
        await _move(sm, shop.tenant_id, shop.sede_id, twin.id, "2")
        body = {"survivor_id": str(survivor.id), "merged_ids": [str(twin.id)]}
        url = "/api/catalog/products/merge"

        for who in (shop.cashier, shop.manager):
            assert (await client.post(url, json=body, headers=who)).status_code == 403
        self_merge = {"survivor_id": str(survivor.id), "merged_ids": [str(survivor.id)]}
        refused = await client.post(url, json=self_merge, headers=shop.admin)
        assert refused.status_code == 422, refused.text
        response = await client.post(url, json=body, headers=shop.admin)
        assert response.status_code == 200, response.text
        assert response.json()["movements"] == 1
        assert response.json()["stock_rows"] == 1
        again = await client.post(url, json=body, headers=shop.owner)
        assert again.status_code == 409, again.text
        assert str(twin.id) in again.json()["message"] or twin.sku in again.json()["message"]

        async with tenant_transaction(sm, shop.tenant_id) as session:
            audit = (
                (
                    await session.execute(
                        select(AuditLog).where(AuditLog.action == "products.merged")
                    )
                )
                .scalars()
                .all()
            )
        (entry,) = audit
        assert entry.entity_id == str(survivor.id)
        assert entry.user_id is not None
        assert entry.before_data is not None
        assert [m["id"] for m in entry.before_data["merged"]] == [str(twin.id)]
        assert entry.extra["path"] == url
