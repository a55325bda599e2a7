"""Push, hardened: what a caja confirms always lands, no value stalls a queue, returns are
judged against the sale the cloud holds, and push and ping never deadlock."""

from __future__ import annotations

import asyncio
import copy
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import func, select

from stocky.cloud.db import tenant_transaction
from stocky.cloud.embedded import libpq_url
from stocky.cloud.models import Device, Inventory, Shift, SyncOp, Transaction
from stocky.core.ids import new_id
from tests.cloud.sync.conftest import SyncWorld
from tests.cloud.sync.faults import fail_movements_of
from tests.cloud.sync.ops import (
    count_op,
    entry_op,
    free_sale_op,
    push_body,
    return_op,
    sale_op,
)
from tests.fixtures.database import DatabaseUrls

pytestmark = pytest.mark.asyncio


async def _push(client: httpx.AsyncClient, world: SyncWorld, ops, **extra) -> list[dict[str, Any]]:
    response = await client.post(
        "/api/sync/push", json=push_body(world, ops, **extra), headers=world.caja.headers
    )
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


async def _stock(cloud_app, world: SyncWorld, product_id: uuid.UUID) -> Decimal | None:
    async with tenant_transaction(cloud_app.state.sessionmaker, world.shop.tenant_id) as s:
        row = await s.get(Inventory, (world.shop.tenant_id, world.shop.sede_id, product_id))
        return row.quantity if row else None


async def _sync_op(cloud_app, world: SyncWorld, op_id: str) -> SyncOp | None:
    async with tenant_transaction(cloud_app.state.sessionmaker, world.shop.tenant_id) as s:
        return await s.get(SyncOp, (world.shop.tenant_id, uuid.UUID(op_id)))


class TestWhatCajasConfirm:
    async def test_a_sale_discounted_to_zero_has_no_payment_and_lands(
        self, client, cloud_app, world
    ) -> None:
        (result,) = await _push(client, world, [free_sale_op(world.rice.id, "2", "2500.00")])
        assert result["status"] == "applied", result
        assert await _stock(cloud_app, world, world.rice.id) == Decimal("-2.000")

    async def test_a_count_with_a_line_that_matched_the_shelf_lands_whole(
        self, client, cloud_app, world
    ) -> None:
        await _push(client, world, [entry_op(world.rice.id, "10"), entry_op(world.cheese.id, "2")])
        (result,) = await _push(
            client, world, [count_op([(world.rice.id, "0"), (world.cheese.id, "-0.250")])]
        )
        assert result["status"] == "applied", result
        assert await _stock(cloud_app, world, world.rice.id) == Decimal("10.000")
        assert await _stock(cloud_app, world, world.cheese.id) == Decimal("1.750")


class TestReturns:
    async def test_a_return_of_a_sale_the_cloud_lacks_waits_then_applies(
        self, client, cloud_app, world
    ) -> None:
        sale = sale_op([(world.rice.id, "3", "2500.00")])
        back = return_op(sale, [(0, "1")])
        (early,) = await _push(client, world, [back])
        assert early["status"] == "deferred"
        assert "waiting for sale" in early["reason"]
        # Nothing of it is recorded: not the movement, not even its op.
        assert await _sync_op(cloud_app, world, back["op_id"]) is None
        assert await _stock(cloud_app, world, world.rice.id) is None
        results = await _push(client, world, [sale, back])
        assert [r["status"] for r in results] == ["applied", "applied"]
        assert await _stock(cloud_app, world, world.rice.id) == Decimal("-2.000")

    async def test_a_sale_and_its_return_in_one_batch_apply_in_order(
        self, client, cloud_app, world
    ) -> None:
        sale = sale_op([(world.rice.id, "2", "2500.00")])
        results = await _push(client, world, [sale, return_op(sale, [(0, "2")])])
        assert [r["status"] for r in results] == ["applied", "applied"]
        assert await _stock(cloud_app, world, world.rice.id) == Decimal("0.000")

    async def test_never_more_than_sold_across_returns(self, client, cloud_app, world) -> None:
        sale = sale_op([(world.rice.id, "3", "2500.00")])
        await _push(client, world, [sale])
        first, second, third = (return_op(sale, [(0, q)]) for q in ("2", "2", "1"))
        results = await _push(client, world, [first, second, third])
        assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
        assert "only 1.000 of it is left" in results[1]["reason"]
        assert await _stock(cloud_app, world, world.rice.id) == Decimal("0.000")

    async def test_a_line_of_another_sale_or_product_is_refused(
        self, client, cloud_app, world
    ) -> None:
        sale = sale_op([(world.rice.id, "1", "2500.00")])
        other = sale_op([(world.cheese.id, "1", "9000.00")], number=2)
        await _push(client, world, [sale, other])
        foreign = return_op(sale, [(0, "1")])
        foreign["payload"]["movements"][0]["ref_id"] = other["payload"]["movements"][0]["id"]
        swapped = return_op(sale, [(0, "1")])
        swapped["payload"]["movements"][0]["product_id"] = str(world.cheese.id)
        results = await _push(client, world, [foreign, swapped])
        assert [r["status"] for r in results] == ["rejected", "rejected"]
        assert "has no line" in results[0]["reason"]
        assert "another product" in results[1]["reason"]

    async def test_a_return_of_a_rejected_sale_is_rejected_with_it(
        self, client, cloud_app, world
    ) -> None:
        sale = sale_op([(uuid.uuid4(), "1", "2500.00")])  # a product the cloud never had
        (refused,) = await _push(client, world, [sale])
        assert refused["status"] == "rejected"
        (back,) = await _push(client, world, [return_op(sale, [(0, "1")])])
        assert back["status"] == "rejected"
        assert "was rejected by the cloud" in back["reason"]

    async def test_two_cajas_returning_one_sale_at_once_return_it_once(
        self, client, cloud_app, world
    ) -> None:
        sale = sale_op([(world.rice.id, "1", "2500.00")])
        await _push(client, world, [sale])
        both = await asyncio.gather(
            *(_push(client, world, [return_op(sale, [(0, "1")])]) for _ in range(2))
        )
        assert sorted(r[0]["status"] for r in both) == ["applied", "rejected"]
        assert await _stock(cloud_app, world, world.rice.id) == Decimal("0.000")


def _hostile_ops(world: SyncWorld) -> dict[str, tuple[dict[str, Any], str]]:
    """Ops a caja used to confirm that the cloud could not store, and what names the fault."""
    nul_note = entry_op(world.rice.id, "1")
    nul_note["payload"]["movements"][0]["note"] = "nul\u0000here"
    nul_extra = entry_op(world.rice.id, "1")
    nul_extra["payload"]["from_a_newer_caja"] = {"k\u0000": "v"}
    big_number = sale_op([(world.rice.id, "1", "2500.00")], number=2**31)
    huge_price = {
        "op_id": str(new_id()),
        "kind": "product.upsert",
        "entity_id": str(world.rice.id),
        "base_version": world.rice.version,
        "client_ts": datetime.now(UTC).isoformat(),
        "payload": {"id": str(world.rice.id), "sku": "ARZ-500", "name": "Arroz", "price": "1e17"},
    }
    shift_id = str(new_id())
    bad_close = {
        "op_id": str(new_id()),
        "kind": "shift.close",
        "entity_id": shift_id,
        "client_ts": datetime.now(UTC).isoformat(),
        "payload": {"id": shift_id, "z_report": {"counted_cash": "abc"}},
    }
    return {
        "nul in a note": (nul_note, "NUL"),
        "nul in a key this cloud ignores": (nul_extra, "NUL"),
        "sale number past 32 bits": (big_number, "number"),
        "price past NUMERIC(18,2)": (huge_price, "price"),
        "counted cash not a number": (bad_close, "counted_cash"),
    }


class TestHostileValues:
    @pytest.mark.parametrize(
        "case",
        [
            "nul in a note",
            "nul in a key this cloud ignores",
            "sale number past 32 bits",
            "price past NUMERIC(18,2)",
            "counted cash not a number",
        ],
    )
    async def test_a_value_the_cloud_cannot_store_rejects_its_op_only(
        self, client, cloud_app, world, case
    ) -> None:
        bad, names = _hostile_ops(world)[case]
        after = sale_op([(world.cheese.id, "0.5", "9000.00")], number=7)
        results = await _push(client, world, [bad, after])
        assert [r["status"] for r in results] == ["rejected", "applied"]
        assert names in results[0]["reason"]
        # Recorded with its payload (NUL made storable), so the admin can see what came.
        record = await _sync_op(cloud_app, world, bad["op_id"])
        assert record is not None
        assert record.status == "rejected"
        assert record.payload is not None
        assert "\u0000" not in str(record.payload)
        # The next batch drains as well.
        (later,) = await _push(client, world, [entry_op(world.cheese.id, "1")])
        assert later["status"] == "applied"

    async def test_a_data_error_inside_an_op_rejects_that_op(
        self, client, cloud_app, world, database: DatabaseUrls
    ) -> None:
        # A value the database refuses for its own reasons (SQLSTATE 22003), for one product.
        fail_movements_of(database, world.cheese.id, sqlstate="22003", message="out of range")
        ops = [entry_op(world.rice.id, "5"), entry_op(world.cheese.id, "1")]
        results = await _push(client, world, ops)
        assert [r["status"] for r in results] == ["applied", "rejected"]
        assert "refused by the database" in results[1]["reason"]
        assert await _stock(cloud_app, world, world.rice.id) == Decimal("5.000")

    @pytest.mark.parametrize(
        ("field", "value"),
        [("client_now", "9999-12-31T23:59:59Z"), ("client_ts", "0001-01-01T00:00:00Z")],
    )
    async def test_extreme_dates_are_a_422_naming_the_field(
        self, client, world, field, value
    ) -> None:
        op = entry_op(world.rice.id, "1")
        body = push_body(world, [op], client_now=datetime.now(UTC).isoformat())
        if field == "client_now":
            body["client_now"] = value
        else:
            op["client_ts"] = value
        response = await client.post("/api/sync/push", json=body, headers=world.caja.headers)
        assert response.status_code == 422, response.text
        assert field in response.json()["message"]


class TestClocks:
    async def test_a_caja_whose_clock_reset_to_2000_still_syncs(
        self, client, cloud_app, world
    ) -> None:
        then = datetime(2000, 1, 1, tzinfo=UTC)
        ping = await client.post(
            "/api/sync/ping", json={"client_now": then.isoformat()}, headers=world.caja.headers
        )
        assert ping.status_code == 200, ping.text
        offset = ping.json()["clock_offset_ms"]
        assert offset < -(20 * 365 * 86400 * 1000)
        sale = sale_op([(world.rice.id, "1", "2500.00")], client_ts=then)
        (result,) = await _push(client, world, [sale], client_now=then.isoformat())
        assert result["status"] == "applied"
        async with tenant_transaction(cloud_app.state.sessionmaker, world.shop.tenant_id) as s:
            stamp = await s.scalar(select(Transaction.client_timestamp))
            record = await s.get(SyncOp, (world.shop.tenant_id, uuid.UUID(sale["op_id"])))
            device = await s.get(Device, (world.shop.tenant_id, world.caja.device_id))
        # Stored corrected by the measured offset; what the caja said is kept in the op.
        assert stamp is not None
        assert abs(stamp - datetime.now(UTC)) < timedelta(minutes=5)
        assert record is not None
        assert record.payload is not None
        assert record.payload["client_ts"].startswith("2000-01-01")
        assert device is not None
        assert device.clock_offset_ms is not None
        assert device.clock_offset_ms < 0
        status = await client.get("/api/sync/status", headers=world.shop.owner)
        (sede,) = status.json()["sedes"]
        assert sede["devices"][0]["clock_untrusted"] is True

    async def test_push_and_ping_of_one_caja_never_deadlock(self, client, world) -> None:
        # Each push marks the caja and its sede as a ping does; in one statement the two rows
        # were locked in either order (23 deadlocks in 30 s, each a 503 and a backoff).
        async def ping() -> int:
            response = await client.post(
                "/api/sync/ping",
                json={"client_now": datetime.now(UTC).isoformat()},
                headers=world.caja.headers,
            )
            return response.status_code

        async def push(n: int) -> int:
            body = push_body(
                world,
                [sale_op([(world.rice.id, "1", "2500.00")], number=n)],
                client_now=datetime.now(UTC).isoformat(),
            )
            response = await client.post("/api/sync/push", json=body, headers=world.caja.headers)
            return response.status_code

        codes: list[int] = []
        for n in range(1, 41):
            codes += await asyncio.gather(push(n), ping(), ping())
        assert set(codes) == {200}


class TestShiftClose:
    async def _open(self, client, world, shift_id: str) -> None:
        op = {
            "op_id": str(new_id()),
            "kind": "shift.open",
            "entity_id": shift_id,
            "client_ts": datetime.now(UTC).isoformat(),
            "payload": {
                "id": shift_id,
                "user_id": str(uuid.uuid4()),
                "opened_at": datetime.now(UTC).isoformat(),
                "opening_float": "100000.00",
            },
        }
        assert (await _push(client, world, [op]))[0]["status"] == "applied"

    @staticmethod
    def _close(shift_id: str) -> dict[str, Any]:
        return {
            "op_id": str(new_id()),
            "kind": "shift.close",
            "entity_id": shift_id,
            "client_ts": datetime.now(UTC).isoformat(),
            "payload": {
                "id": shift_id,
                "z_report": {"counted_cash": "100000.00", "expected_cash": "100000.00"},
            },
        }

    async def test_a_shift_closes_once(self, client, cloud_app, world) -> None:
        shift_id = str(new_id())
        await self._open(client, world, shift_id)
        results = await _push(client, world, [self._close(shift_id), self._close(shift_id)])
        assert [r["status"] for r in results] == ["applied", "rejected"]
        assert "already closed" in results[1]["reason"]
        async with tenant_transaction(cloud_app.state.sessionmaker, world.shop.tenant_id) as s:
            shift = await s.get(Shift, (world.shop.tenant_id, uuid.UUID(shift_id)))
        assert shift is not None
        assert shift.counted_cash == Decimal("100000.00")

    async def test_a_caja_cannot_close_another_sedes_shift(
        self, client, cloud_app, world, database: DatabaseUrls
    ) -> None:
        shift_id = str(new_id())
        await self._open(client, world, shift_id)
        with psycopg.connect(libpq_url(database.owner_url), autocommit=True) as conn:
            other = uuid.uuid4()
            conn.execute(
                "INSERT INTO sedes (tenant_id, id, name) VALUES (%s, %s, 'Otra')",
                (world.shop.tenant_id, other),
            )
            conn.execute("UPDATE shifts SET sede_id = %s WHERE id = %s", (other, shift_id))
        (result,) = await _push(client, world, [self._close(shift_id)])
        assert result["status"] == "rejected"
        assert "never opened at this sede" in result["reason"]
        async with tenant_transaction(cloud_app.state.sessionmaker, world.shop.tenant_id) as s:
            status = await s.scalar(select(Shift.status).where(Shift.id == uuid.UUID(shift_id)))
        assert status == "open"


async def test_refetch_after_must_be_the_tables_key(client, world) -> None:
    body = {"sede_id": str(world.caja.sede_id), "table": "products", "after": "not-a-uuid"}
    response = await client.post("/api/sync/refetch", json=body, headers=world.caja.headers)
    assert response.status_code == 422, response.text
    assert "after" in response.json()["message"]


async def test_sale_rows_keep_their_op_once(client, cloud_app, world) -> None:
    """Replaying a hardened batch changes nothing (the ops' results are recorded once)."""
    ops = [free_sale_op(world.rice.id, "1", "100.00"), count_op([(world.rice.id, "0")])]
    first = await _push(client, world, ops)
    again = await _push(client, world, copy.deepcopy(ops))
    assert [r["status"] for r in first] == ["applied", "applied"]
    assert [r["original_status"] for r in again] == ["applied", "applied"]
    async with tenant_transaction(cloud_app.state.sessionmaker, world.shop.tenant_id) as s:
        assert await s.scalar(select(func.count()).select_from(Transaction)) == 2
