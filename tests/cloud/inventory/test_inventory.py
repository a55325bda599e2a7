"""Stock per sede: record_movements, thresholds, opening stock, movement listing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from stocky.cloud.db import SessionMaker, tenant_transaction
from stocky.cloud.inventory.service import InvalidMovementError, Movement, record_movements
from stocky.cloud.models import Change, Inventory, Transaction
from stocky.core.errors import NotFoundError
from stocky.core.ids import new_id
from tests.cloud.factories import Shop, create_product, create_sede, create_user, token_for

pytestmark = pytest.mark.asyncio


def _move(product_id: uuid.UUID, type_: str, qty: str, **kw: object) -> Movement:
    return Movement(
        product_id=product_id,
        type=type_,
        quantity=Decimal(qty),
        client_timestamp=datetime.now(UTC) - timedelta(minutes=5),
        document_id=new_id(),
        **kw,  # type: ignore[arg-type]
    )


async def _stock(sm: SessionMaker, shop: Shop, product_id: uuid.UUID) -> Inventory | None:
    async with tenant_transaction(sm, shop.tenant_id) as session:
        return (
            await session.execute(select(Inventory).where(Inventory.product_id == product_id))
        ).scalar_one_or_none()


class TestRecordMovements:
    async def test_stock_is_the_sum_of_movements_and_duplicates_move_nothing(
        self, cloud_app: FastAPI, shop: Shop
    ) -> None:
        sm: SessionMaker = cloud_app.state.sessionmaker
        product = await create_product(sm, shop.tenant_id)
        entry = _move(product.id, "entry", "10")
        sale = _move(product.id, "sale", "-2.5")
        async with tenant_transaction(sm, shop.tenant_id) as session:
            first = await record_movements(session, shop.tenant_id, shop.sede_id, [entry, sale])
        assert first.inserted == [entry.id, sale.id]
        assert first.stock[product.id].quantity == Decimal("7.500")
        async with tenant_transaction(sm, shop.tenant_id) as session:
            again = await record_movements(
                session, shop.tenant_id, shop.sede_id, [sale, _move(product.id, "return", "1")]
            )
        assert again.duplicates == [sale.id]
        stock = await _stock(sm, shop, product.id)
        assert stock is not None
        assert stock.quantity == Decimal("8.500")
        assert stock.last_movement_at is not None
        async with tenant_transaction(sm, shop.tenant_id) as session:
            total = await session.scalar(select(func.sum(Transaction.quantity)))
            feed = await session.scalar(
                select(func.count()).where(
                    Change.entity == "inventory", Change.sede_id.is_not(None)
                )
            )
        assert total == stock.quantity
        assert feed == 2

    @pytest.mark.parametrize(
        ("type_", "qty"), [("sale", "1"), ("entry", "-1"), ("sale", "0"), ("theft", "1")]
    )
    async def test_wrong_sign_or_type_is_refused(self, cloud_app, shop, type_, qty) -> None:
        sm: SessionMaker = cloud_app.state.sessionmaker
        product = await create_product(sm, shop.tenant_id)
        with pytest.raises(InvalidMovementError):
            async with tenant_transaction(sm, shop.tenant_id) as session:
                await record_movements(
                    session, shop.tenant_id, shop.sede_id, [_move(product.id, type_, qty)]
                )

    async def test_a_count_that_matched_the_shelf_is_recorded_and_moves_nothing(
        self, cloud_app, shop
    ) -> None:
        sm: SessionMaker = cloud_app.state.sessionmaker
        product = await create_product(sm, shop.tenant_id)
        async with tenant_transaction(sm, shop.tenant_id) as session:
            await record_movements(
                session,
                shop.tenant_id,
                shop.sede_id,
                [_move(product.id, "entry", "4"), _move(product.id, "adjustment", "0")],
            )
        async with tenant_transaction(sm, shop.tenant_id) as session:
            moves = (await session.execute(select(Transaction.type, Transaction.quantity))).all()
        assert sorted(moves) == [("adjustment", Decimal("0.000")), ("entry", Decimal("4.000"))]

    async def test_other_tenants_product_or_sede_is_not_found(
        self, cloud_app, shop, other_shop
    ) -> None:
        sm: SessionMaker = cloud_app.state.sessionmaker
        mine = await create_product(sm, shop.tenant_id)
        theirs = await create_product(sm, other_shop.tenant_id)
        for sede, product in ((shop.sede_id, theirs.id), (other_shop.sede_id, mine.id)):
            with pytest.raises(NotFoundError):
                async with tenant_transaction(sm, shop.tenant_id) as session:
                    await record_movements(
                        session, shop.tenant_id, sede, [_move(product, "entry", "1")]
                    )

    async def test_concurrent_batches_never_lose_a_movement(self, cloud_app, shop) -> None:
        sm: SessionMaker = cloud_app.state.sessionmaker
        products = [await create_product(sm, shop.tenant_id) for _ in range(3)]

        async def batch(i: int) -> None:
            moves = [_move(p.id, "sale", "-1") for p in (products if i % 2 else products[::-1])]
            async with tenant_transaction(sm, shop.tenant_id) as session:
                await record_movements(session, shop.tenant_id, shop.sede_id, moves)

        await asyncio.gather(*(batch(i) for i in range(8)))
        for p in products:
            stock = await _stock(sm, shop, p.id)
            assert stock is not None
            assert stock.quantity == Decimal("-8.000")


class TestInventoryApi:
    async def test_list_flags_low_negative_and_thresholds(self, client, cloud_app, shop) -> None:
        sm: SessionMaker = cloud_app.state.sessionmaker
        low = await create_product(sm, shop.tenant_id, name="A low")
        neg = await create_product(sm, shop.tenant_id, name="B negative")
        untouched = await create_product(sm, shop.tenant_id, name="C untouched")
        async with tenant_transaction(sm, shop.tenant_id) as session:
            await record_movements(
                session,
                shop.tenant_id,
                shop.sede_id,
                [_move(low.id, "entry", "3"), _move(neg.id, "sale", "-2")],
            )
        url = f"/api/inventory/{shop.sede_id}/{low.id}/thresholds"
        put = await client.put(
            url, json={"min_stock": "5", "max_stock": "20"}, headers=shop.manager
        )
        assert put.status_code == 200, put.text
        assert put.json()["low"] is True
        assert put.json()["quantity"] == "3.000"

        response = await client.get(f"/api/inventory?sede_id={shop.sede_id}", headers=shop.cashier)
        assert response.status_code == 200, response.text
        items = {i["product_id"]: i for i in response.json()["items"]}
        assert items[str(low.id)]["min_stock"] == "5.000"
        assert items[str(low.id)]["max_stock"] == "20.000"
        assert items[str(neg.id)]["negative"] is True
        assert items[str(neg.id)]["quantity"] == "-2.000"
        assert items[str(neg.id)]["last_movement_at"] is not None
        assert items[str(untouched.id)]["quantity"] == "0.000"
        only_low = await client.get(
            f"/api/inventory?sede_id={shop.sede_id}&status=low", headers=shop.cashier
        )
        assert [i["product_id"] for i in only_low.json()["items"]] == [str(low.id)]

        async with tenant_transaction(sm, shop.tenant_id) as session:
            feed = (
                await session.execute(
                    select(Change.sede_id, Change.version).where(
                        Change.entity == "inventory",
                        Change.entity_id == f"{shop.sede_id}:{low.id}",
                    )
                )
            ).all()
        assert feed[-1] == (shop.sede_id, 2)

    async def test_threshold_permissions(self, client, cloud_app, shop) -> None:
        sm: SessionMaker = cloud_app.state.sessionmaker
        product = await create_product(sm, shop.tenant_id)
        other_sede = await create_sede(sm, shop.tenant_id, "Norte")
        body = {"min_stock": "1"}
        own = f"/api/inventory/{shop.sede_id}/{product.id}/thresholds"
        other = f"/api/inventory/{other_sede}/{product.id}/thresholds"
        assert (await client.put(own, json=body, headers=shop.cashier)).status_code == 403
        assert (await client.put(other, json=body, headers=shop.manager)).status_code == 403
        assert (await client.put(other, json=body, headers=shop.admin)).status_code == 200
        bad = await client.put(own, json={"min_stock": "5", "max_stock": "2"}, headers=shop.manager)
        assert bad.status_code == 422
        assert "max_stock" in bad.json()["message"]
        negative = await client.put(own, json={"min_stock": "-1"}, headers=shop.manager)
        assert negative.json()["fields"][0]["field"] == "min_stock"

    async def test_other_tenant_sede_or_product_is_404(
        self, client, cloud_app, shop, other_shop
    ) -> None:
        sm: SessionMaker = cloud_app.state.sessionmaker
        mine = await create_product(sm, shop.tenant_id)
        theirs = await create_product(sm, other_shop.tenant_id)
        body = {"min_stock": "1"}
        checks = [
            await client.get(f"/api/inventory?sede_id={other_shop.sede_id}", headers=shop.owner),
            await client.put(
                f"/api/inventory/{other_shop.sede_id}/{mine.id}/thresholds",
                json=body,
                headers=shop.owner,
            ),
            await client.put(
                f"/api/inventory/{shop.sede_id}/{theirs.id}/thresholds",
                json=body,
                headers=shop.owner,
            ),
            await client.get(f"/api/transactions?sede_id={other_shop.sede_id}", headers=shop.owner),
            await client.get(f"/api/transactions?product_id={theirs.id}", headers=shop.owner),
            await client.post(
                f"/api/inventory/{other_shop.sede_id}/opening",
                json={"lines": [{"product_id": str(mine.id), "quantity": "1"}]},
                headers=shop.owner,
            ),
        ]
        assert [r.status_code for r in checks] == [404] * 6

    async def test_missing_sede_id_is_422(self, client, shop) -> None:
        response = await client.get("/api/inventory", headers=shop.cashier)
        assert response.status_code == 422
        assert response.json()["fields"][0]["field"] == "sede_id"


class TestOpeningStock:
    async def test_opening_by_lines_is_entries_and_never_twice(
        self, client, cloud_app, shop
    ) -> None:
        sm: SessionMaker = cloud_app.state.sessionmaker
        rice = await create_product(sm, shop.tenant_id, sku="ARZ")
        potato = await create_product(sm, shop.tenant_id, sku="PAPA", unit="weight")
        url = f"/api/inventory/{shop.sede_id}/opening"
        body = {
            "lines": [
                {"product_id": str(rice.id), "quantity": "12", "unit_cost": "1800"},
                {"sku": "PAPA", "quantity": "3.250"},
                {"sku": "NOPE", "quantity": "1"},
                {"sku": "ARZ", "quantity": "1"},
            ]
        }
        assert (await client.post(url, json=body, headers=shop.manager)).status_code == 403
        dry = await client.post(url + "?dry_run=true", json=body, headers=shop.admin)
        assert dry.status_code == 200, dry.text  # a dry run creates nothing
        assert dry.json()["applied"] == 2
        assert await _stock(sm, shop, rice.id) is None
        response = await client.post(url, json=body, headers=shop.admin)
        assert response.status_code == 201, response.text
        report = response.json()
        assert report["applied"] == 2
        assert report["errors"] == [
            {"line": 3, "field": "sku", "message": "no such product"},
            {"line": 4, "field": "sku", "message": "the product repeats line 1"},
        ]
        assert (await _stock(sm, shop, rice.id)).quantity == Decimal("12.000")  # type: ignore[union-attr]
        assert (await _stock(sm, shop, potato.id)).quantity == Decimal("3.250")  # type: ignore[union-attr]

        twice = await client.post(
            url, json={"lines": [{"sku": "ARZ", "quantity": "5"}]}, headers=shop.admin
        )
        assert twice.status_code == 201, twice.text
        assert twice.json()["applied"] == 0
        assert "already has movements" in twice.json()["errors"][0]["message"]
        assert (await _stock(sm, shop, rice.id)).quantity == Decimal("12.000")  # type: ignore[union-attr]

        movements = await client.get(
            f"/api/transactions?sede_id={shop.sede_id}&type=entry", headers=shop.cashier
        )
        items = movements.json()["items"]
        assert {i["sku"] for i in items} == {"ARZ", "PAPA"}
        assert all(i["note"] == "opening stock" for i in items)
        assert {i["sku"]: i["unit_cost"] for i in items} == {"ARZ": "1800.00", "PAPA": "0.00"}

    async def test_opening_from_csv_with_decimal_commas_and_dry_run(
        self, client, cloud_app, shop
    ) -> None:
        sm: SessionMaker = cloud_app.state.sessionmaker
        await create_product(sm, shop.tenant_id, sku="QUESO", unit="weight")
        await create_product(sm, shop.tenant_id, sku="LECHE")
        data = "\ufeffcodigo;cantidad;costo\nQUESO;2,5;9.000\nLECHE;1,5;\nLECHE;0;\n".encode()
        url = f"/api/inventory/{shop.sede_id}/opening/import"
        headers = shop.owner | {"Content-Type": "text/csv"}
        dry = await client.post(url + "?dry_run=true", content=data, headers=headers)
        assert dry.status_code == 200, dry.text
        assert dry.json()["applied"] == 1
        assert dry.json()["errors"] == [
            {
                "line": 3,
                "field": "quantity",
                "message": "the product is sold by unit: give a whole number",
            },
            {"line": 4, "field": "quantity", "message": "must be more than 0"},
        ]
        listing = await client.get(f"/api/transactions?sede_id={shop.sede_id}", headers=shop.owner)
        assert listing.json()["items"] == []
        real = await client.post(url, content=data, headers=headers)
        assert real.json()["applied"] == 1
        items = (
            await client.get(f"/api/transactions?sede_id={shop.sede_id}", headers=shop.owner)
        ).json()["items"]
        assert [(i["sku"], i["quantity"], i["unit_cost"]) for i in items] == [
            ("QUESO", "2.500", "9000.00")
        ]


class TestTransactions:
    async def test_newest_first_with_both_timestamps_device_and_filters(
        self, client, cloud_app, shop
    ) -> None:
        sm: SessionMaker = cloud_app.state.sessionmaker
        product = await create_product(sm, shop.tenant_id)
        device = new_id()
        ids = []
        for i in range(5):
            move = _move(
                product.id, "sale" if i % 2 else "entry", "-1" if i % 2 else "2", device_id=device
            )
            ids.append(move.id)
            async with tenant_transaction(sm, shop.tenant_id) as session:
                await record_movements(session, shop.tenant_id, shop.sede_id, [move])
        seen: list[str] = []
        cursor = None
        while True:
            url = f"/api/transactions?sede_id={shop.sede_id}&limit=2"
            page = (
                await client.get(
                    url + (f"&cursor={cursor}" if cursor else ""), headers=shop.cashier
                )
            ).json()
            seen += [i["id"] for i in page["items"]]
            for item in page["items"]:
                assert item["device_id"] == str(device)
                assert item["client_timestamp"] < item["server_timestamp"]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert seen == [str(i) for i in reversed(ids)]

        sales = await client.get("/api/transactions?type=sale", headers=shop.cashier)
        assert [i["type"] for i in sales.json()["items"]] == ["sale", "sale"]
        future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        later = await client.get("/api/transactions", params={"from": future}, headers=shop.cashier)
        assert later.json()["items"] == []
        by_product = await client.get(
            f"/api/transactions?product_id={product.id}&limit=200", headers=shop.cashier
        )
        assert len(by_product.json()["items"]) == 5

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("type=theft", "type"),
            ("limit=0", "limit"),
            ("limit=500", "limit"),
            ("from=yesterday", "from"),
            ("from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z", "from"),
            ("cursor=!!!", "cursor"),
            ("sede_id=nope", "sede_id"),
        ],
    )
    async def test_bad_filters_are_422_naming_the_field(self, client, shop, query, field) -> None:
        response = await client.get(f"/api/transactions?{query}", headers=shop.cashier)
        assert response.status_code == 422, response.text
        assert response.json()["fields"][0]["field"] == field


async def test_cashier_of_one_sede_reads_another_sede(client, cloud_app, shop) -> None:
    sm: SessionMaker = cloud_app.state.sessionmaker
    other = await create_sede(sm, shop.tenant_id, "Sur")
    cashier = await create_user(sm, shop.tenant_id, "cashier", other)
    response = await client.get(
        f"/api/inventory?sede_id={shop.sede_id}", headers=token_for(cloud_app, cashier)
    )
    assert response.status_code == 200
