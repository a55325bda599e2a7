"""A sale cancelled at the counter reaches the cloud's audit log once, with its lines."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from stocky.cloud.db import tenant_transaction
from stocky.cloud.models import AuditLog, Transaction
from stocky.core.ids import new_id
from tests.cloud.sync.conftest import SyncWorld
from tests.cloud.sync.ops import push_body

pytestmark = pytest.mark.asyncio


def void_op(world: SyncWorld, **changes: Any) -> dict[str, Any]:
    void_id = str(new_id())
    payload: dict[str, Any] = {
        "id": void_id,
        "user_id": str(uuid.uuid4()),
        "voided_at": datetime.now(UTC).isoformat(),
        "total": "5000.00",
        "reason": "el cliente no quiso",
        "lines": [
            {"product_id": str(world.rice.id), "quantity": "2", "unit_price": "2500.00"},
        ],
        **changes,
    }
    return {
        "op_id": str(new_id()),
        "kind": "sale.void",
        "entity_id": void_id,
        "client_ts": datetime.now(UTC).isoformat(),
        "payload": payload,
    }


async def _push(client, world: SyncWorld, ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = await client.post(
        "/api/sync/push", json=push_body(world, ops), headers=world.caja.headers
    )
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


async def test_a_voided_sale_is_audited_once_and_moves_nothing(client, cloud_app, world) -> None:
    op = void_op(world)
    (first,) = await _push(client, world, [op])
    assert first["status"] == "applied", first
    (again,) = await _push(client, world, [op])
    assert again["status"] == "duplicate"
    async with tenant_transaction(cloud_app.state.sessionmaker, world.shop.tenant_id) as s:
        rows = (
            (await s.execute(select(AuditLog).where(AuditLog.action == "sale.void")))
            .scalars()
            .all()
        )
        movements = (await s.execute(select(Transaction))).scalars().all()
    (row,) = rows
    assert row.device_id == world.caja.device_id
    assert row.after_data is not None
    assert row.after_data["lines"][0]["quantity"] == "2.000"
    assert row.extra["op_id"] == op["op_id"]
    assert movements == []


@pytest.mark.parametrize(
    ("changes", "names"),
    [({"lines": []}, "lines"), ({"total": "-1"}, "total"), ({"reason": "a\u0000b"}, "NUL")],
)
async def test_a_malformed_void_is_rejected_alone(client, world, changes, names) -> None:
    results = await _push(client, world, [void_op(world, **changes), void_op(world)])
    assert [r["status"] for r in results] == ["rejected", "applied"]
    assert names in results[0]["reason"]
