"""Every sale belongs to exactly one shift in the cloud too: a `shift.open` names the sales the
caja made with no shift open, and the cloud gives them that shift whether they landed before
the open or land after it; never a sale that has a shift, never another caja's. The close's
check then counts them, and the Z report's first and last receipts are kept."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from stocky.cloud.db import tenant_transaction
from stocky.cloud.models import Sale, Shift
from stocky.core.ids import new_id
from tests.cloud.factories import create_device
from tests.cloud.sync.conftest import SyncWorld
from tests.cloud.sync.ops import push_body, sale_op

pytestmark = pytest.mark.asyncio


def open_op(shift_id: str, adopted: list[str] | None = None) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    payload: dict[str, Any] = {
        "id": shift_id,
        "user_id": str(uuid.uuid4()),
        "opened_at": now,
        "opening_float": "0.00",
    }
    if adopted is not None:
        payload["adopted_sales"] = adopted
    return {
        "op_id": str(new_id()),
        "kind": "shift.open",
        "entity_id": shift_id,
        "client_ts": now,
        "payload": payload,
    }


def close_op(shift_id: str, **report: Any) -> dict[str, Any]:
    return {
        "op_id": str(new_id()),
        "kind": "shift.close",
        "entity_id": shift_id,
        "client_ts": datetime.now(UTC).isoformat(),
        "payload": {
            "id": shift_id,
            "z_report": {"counted_cash": "0.00", "expected_cash": "0.00", **report},
        },
    }


def card_sale(world: SyncWorld, number: int, shift_id: str | None = None) -> dict[str, Any]:
    op = sale_op([(world.rice.id, "1", "2500.00")], number=number)
    op["payload"]["sale"]["payments"][0]["method"] = "card"
    op["payload"]["shift_id"] = shift_id
    return op


async def _push(client, world: SyncWorld, ops: list[dict[str, Any]]) -> list[str]:
    response = await client.post(
        "/api/sync/push", json=push_body(world, ops), headers=world.caja.headers
    )
    assert response.status_code == 200, response.text
    return [r["status"] for r in response.json()["results"]]


async def _shifts(cloud_app, world: SyncWorld, ops: list[dict[str, Any]]) -> list[str | None]:
    ids = [uuid.UUID(op["entity_id"]) for op in ops]
    async with tenant_transaction(cloud_app.state.sessionmaker, world.shop.tenant_id) as s:
        rows = dict((await s.execute(select(Sale.id, Sale.shift_id).where(Sale.id.in_(ids)))).all())
    return [None if rows.get(i) is None else str(rows[i]) for i in ids]


class TestAdoption:
    async def test_sales_before_the_open_are_adopted(self, client, cloud_app, world) -> None:
        sales = [card_sale(world, 1), card_sale(world, 2)]
        shift = str(new_id())
        ops = [*sales, open_op(shift, [s["entity_id"] for s in sales])]
        assert await _push(client, world, ops) == ["applied"] * 3
        assert await _shifts(cloud_app, world, sales) == [shift, shift]

    async def test_a_sale_that_lands_after_the_open_gets_its_shift(
        self, client, cloud_app, world
    ) -> None:
        late, early = card_sale(world, 3), card_sale(world, 4)
        shift = str(new_id())
        opened = open_op(shift, [late["entity_id"], early["entity_id"]])
        assert await _push(client, world, [early, opened]) == ["applied", "applied"]
        assert await _push(client, world, [late]) == ["applied"]
        assert await _shifts(cloud_app, world, [late, early]) == [shift, shift]
        # The close's check counts both, as the caja's Z report does.
        close = close_op(shift, sales_count=2, total="5000.00", cash_in="0.00")
        assert await _push(client, world, [close]) == ["applied"]
        async with tenant_transaction(cloud_app.state.sessionmaker, world.shop.tenant_id) as s:
            row = await s.get(Shift, (world.shop.tenant_id, uuid.UUID(shift)))
        assert row is not None
        assert row.z_report is not None
        assert row.z_report["cloud_check"]["ok"] is True, row.z_report["cloud_check"]

    async def test_a_sale_with_a_shift_is_never_taken(self, client, cloud_app, world) -> None:
        first = str(new_id())
        assert await _push(client, world, [open_op(first)]) == ["applied"]
        kept = card_sale(world, 5, shift_id=first)
        second = str(new_id())
        # A second open naming it (a forged or buggy op) does not move it, before or after.
        assert await _push(client, world, [kept, open_op(second, [kept["entity_id"]])]) == [
            "applied",
            "applied",
        ]
        assert await _shifts(cloud_app, world, [kept]) == [first]
        # Nor does a later adopter take a sale an earlier shift adopted.
        orphan = card_sale(world, 6)
        third, fourth = str(new_id()), str(new_id())
        assert await _push(client, world, [open_op(third, [orphan["entity_id"]])]) == ["applied"]
        assert await _push(client, world, [open_op(fourth, [orphan["entity_id"]])]) == ["applied"]
        assert await _push(client, world, [orphan]) == ["applied"]
        assert await _shifts(cloud_app, world, [orphan]) == [third]

    async def test_another_cajas_sale_is_never_adopted(self, client, cloud_app, world) -> None:
        other = await create_device(
            cloud_app.state.sessionmaker, world.shop.tenant_id, world.shop.sede_id
        )
        theirs = dataclasses.replace(world, caja=other)
        before, after = card_sale(theirs, 7), card_sale(theirs, 8)
        assert await _push(client, theirs, [before]) == ["applied"]
        shift = str(new_id())
        opened = open_op(shift, [before["entity_id"], after["entity_id"]])
        assert await _push(client, world, [opened]) == ["applied"]
        assert await _push(client, theirs, [after]) == ["applied"]
        assert await _shifts(cloud_app, world, [before, after]) == [None, None]

    async def test_old_payloads_and_bad_lists(self, client, cloud_app, world) -> None:
        assert await _push(client, world, [open_op(str(new_id()))]) == ["applied"]
        repeated = str(new_id())
        bad = [open_op(str(new_id()), [repeated, repeated]), open_op(str(new_id()), ["x"])]
        assert await _push(client, world, bad) == ["rejected", "rejected"]


async def test_the_z_reports_receipts_are_kept(client, cloud_app, world) -> None:
    shift = str(new_id())
    assert await _push(client, world, [open_op(shift)]) == ["applied"]
    close = close_op(shift, first_receipt="C01-000041", last_receipt="C01-000042")
    assert await _push(client, world, [close]) == ["applied"]
    async with tenant_transaction(cloud_app.state.sessionmaker, world.shop.tenant_id) as s:
        row = await s.get(Shift, (world.shop.tenant_id, uuid.UUID(shift)))
    assert row is not None
    assert row.z_report is not None
    assert (row.z_report["first_receipt"], row.z_report["last_receipt"]) == (
        "C01-000041",
        "C01-000042",
    )
    other = str(new_id())
    assert await _push(client, world, [open_op(other)]) == ["applied"]
    assert await _push(client, world, [close_op(other, first_receipt="C01\u0000")]) == ["rejected"]
