"""`cash.movement` ops land in cash_movements once (idempotent by op_id), only for a shift of
the caja's sede, and the shift's close records what the cloud received against its Z report."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from stocky.cloud.db import tenant_transaction
from stocky.cloud.models import CashMovement, Shift
from stocky.core.ids import new_id
from tests.cloud.sync import test_push_hardening as hardening

pytestmark = pytest.mark.asyncio


def _now() -> str:
    return datetime.now(UTC).isoformat()


def cash_op(shift_id: str, kind: str, amount: str, reason: str = "cambio") -> dict[str, Any]:
    movement = str(new_id())
    return {
        "op_id": str(new_id()),
        "kind": "cash.movement",
        "entity_id": movement,
        "client_ts": _now(),
        "payload": {
            "id": movement,
            "shift_id": shift_id,
            "type": kind,
            "amount": amount,
            "reason": reason,
            "user_id": str(uuid.uuid4()),
            "client_ts": _now(),
        },
    }


class TestCashMovement:
    async def test_applied_once_and_reconciled_at_close(self, client, cloud_app, world) -> None:
        shift_id = str(new_id())
        await hardening.TestShiftClose()._open(client, world, shift_id)
        cash_in, cash_out = cash_op(shift_id, "in", "50000.00"), cash_op(shift_id, "out", "20000")
        results = await hardening._push(client, world, [cash_in, cash_out])
        assert [r["status"] for r in results] == ["applied", "applied"]
        again = await hardening._push(client, world, [cash_in])
        assert again[0]["status"] == "duplicate"
        close = hardening.TestShiftClose._close(shift_id)
        close["payload"]["z_report"] |= {"paid_in": "50000.00", "paid_out": "10000.00"}
        assert (await hardening._push(client, world, [close]))[0]["status"] == "applied"
        async with tenant_transaction(cloud_app.state.sessionmaker, world.shop.tenant_id) as s:
            rows = (
                await s.execute(
                    select(CashMovement.type, CashMovement.amount, CashMovement.reason).where(
                        CashMovement.shift_id == uuid.UUID(shift_id)
                    )
                )
            ).all()
            shift = await s.get(Shift, (world.shop.tenant_id, uuid.UUID(shift_id)))
        assert sorted(rows) == [
            ("in", Decimal("50000.00"), "cambio"),
            ("out", Decimal("20000.00"), "cambio"),
        ]
        assert shift is not None
        assert shift.z_report is not None
        check = shift.z_report["cloud_check"]
        assert check["ok"] is False
        assert check["gaps"] == {"paid_out": "-10000.00"}

    async def test_unknown_shift_or_bad_payload_is_rejected(self, client, world) -> None:
        unknown = cash_op(str(new_id()), "in", "10.00")
        blank = cash_op(str(new_id()), "out", "10.00", reason="   ")
        results = await hardening._push(client, world, [unknown, blank])
        assert [r["status"] for r in results] == ["rejected", "rejected"]
        assert "never opened" in results[0]["reason"]
        assert "reason" in results[1]["reason"]
