"""Sales made through the real sync push, for the list and detail tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from stocky.core.ids import new_id
from tests.cloud.factories import Caja
from tests.cloud.sync.conftest import SyncWorld
from tests.cloud.sync.ops import sale_op

BASE = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


async def push(client: httpx.AsyncClient, caja: Caja, ops: list[dict[str, Any]]) -> None:
    body = {
        "sede_id": str(caja.sede_id),
        "device_id": str(caja.device_id),
        "operations": ops,
    }
    r = await client.post("/api/sync/push", json=body, headers=caja.headers)
    assert r.status_code == 200, r.text
    assert {x["status"] for x in r.json()["results"]} == {"applied"}, r.text


def a_sale(
    world: SyncWorld,
    number: int,
    *,
    units: str = "1",
    price: str = "2500.00",
    when: datetime | None = None,
    user_id: uuid.UUID | None = None,
    shift_id: str | None = None,
    prefix: str = "C01",
) -> dict[str, Any]:
    op = sale_op([(world.rice.id, units, price)], number=number, client_ts=when or BASE)
    op["payload"]["sale"]["receipt_prefix"] = prefix
    if user_id is not None:
        op["payload"]["user_id"] = str(user_id)
    if shift_id is not None:
        op["payload"]["shift_id"] = shift_id
    return op


def open_shift_op(shift_id: str, user_id: uuid.UUID) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    return {
        "op_id": str(new_id()),
        "kind": "shift.open",
        "entity_id": shift_id,
        "client_ts": now,
        "payload": {
            "id": shift_id,
            "user_id": str(user_id),
            "opened_at": now,
            "opening_float": "0.00",
        },
    }
