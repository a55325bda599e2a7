"""Shift reconciliation (issue 17, item 2): a closed shift's Z report against what the cloud
received for it; a gap is a finding that resolves itself when the missing ops land."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from stocky.core.ids import new_id
from tests.cloud.reconciliation.conftest import (
    ReconWorld,
    findings,
    push,
    run_jobs,
    shift_close_op,
    shift_open_op,
)
from tests.cloud.sync.ops import sale_op

pytestmark = pytest.mark.asyncio


def _sale_in(shift_id: str, world: ReconWorld, number: int) -> dict[str, Any]:
    op = sale_op([(world.rice.id, "2", "2500.00")], number=number)
    op["payload"]["shift_id"] = shift_id
    return op


class TestShiftGap:
    async def test_a_sale_that_never_arrived_is_flagged_and_clears_when_it_arrives(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: ReconWorld
    ) -> None:
        shift_id = str(new_id())
        first, missing = _sale_in(shift_id, world, 1), _sale_in(shift_id, world, 2)
        results = await push(client, world.caja, [shift_open_op(shift_id), first])
        assert [r["status"] for r in results] == ["applied", "applied"]
        # The caja still holds the second sale in its outbox, and says so on its ping.
        r = await client.post("/api/sync/ping", json={"pending_ops": 1}, headers=world.caja.headers)
        assert r.status_code == 200, r.text
        (closed,) = await push(
            client, world.caja, [shift_close_op(shift_id, sales=2, total="10000.00")]
        )
        assert closed["status"] == "applied"
        await run_jobs(cloud_app)

        (gap,) = await findings(client, world.shop.admin, kind="shift_gap")
        assert gap["status"] == "open"
        assert gap["subject"] == shift_id
        assert gap["sede_id"] == str(world.shop.sede_id)
        assert gap["device_id"] == str(world.caja.device_id)
        details = gap["details"]
        assert details["differences"] == {
            "sales_count": "1",
            "total": "5000.00",
            "cash_in": "5000.00",
            "payments.cash": "5000.00",
        }
        assert details["expected"]["sales_count"] == "2"
        assert details["received"]["sales_count"] == "1"
        assert details["waiting_for_caja"] is True

        (late,) = await push(client, world.caja, [missing])
        assert late["status"] == "applied"
        await run_jobs(cloud_app)
        assert await findings(client, world.shop.admin, kind="shift_gap", status="open") == []
        (resolved,) = await findings(client, world.shop.admin, kind="shift_gap")
        assert resolved["status"] == "resolved"
        assert resolved["resolved_at"] is not None
        assert resolved["details"]["resolution"] == "matched"

    async def test_a_matching_shift_has_no_finding(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: ReconWorld
    ) -> None:
        shift_id = str(new_id())
        ops = [shift_open_op(shift_id), _sale_in(shift_id, world, 1), _sale_in(shift_id, world, 2)]
        ops.append(shift_close_op(shift_id, sales=2, total="10000.00"))
        assert {r["status"] for r in await push(client, world.caja, ops)} == {"applied"}
        await run_jobs(cloud_app)
        assert await findings(client, world.shop.admin) == []

    async def test_a_gap_found_once_the_caja_drained_is_not_waiting(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: ReconWorld
    ) -> None:
        shift_id = str(new_id())
        r = await client.post("/api/sync/ping", json={"pending_ops": 0}, headers=world.caja.headers)
        assert r.status_code == 200, r.text
        ops = [shift_open_op(shift_id), shift_close_op(shift_id, sales=1, total="5000.00")]
        assert {r["status"] for r in await push(client, world.caja, ops)} == {"applied"}
        await run_jobs(cloud_app)
        await run_jobs(cloud_app)
        (gap,) = await findings(client, world.shop.admin, kind="shift_gap")
        assert gap["details"]["waiting_for_caja"] is False
        assert gap["details"]["pending_ops"] == 0
