"""Helpers for the caja's money rules: the sede's policy, shifts, cash movements."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from stocky.edge.shifts.schemas import CashMovementIn, ShiftClose, ShiftOpen
from stocky.edge.shifts.service import close_shift, open_shift, record_cash_movement
from stocky.edge.store.timestamps import utc_now
from tests.edge.factories import Caja

STRICT = {
    "shift_required": "cash",
    "return_approval_above": None,
    "return_approval_whole_ticket": True,
}


def set_policy(caja: Caja, **policy: Any) -> None:
    """The sede's caja_policy, as the cloud would set it (wins over the tests' default)."""
    body = json.dumps({"caja_policy": {**STRICT, **policy}})
    caja.store.write(lambda c: c.execute("UPDATE sede_info SET config = ? WHERE id = 1", (body,)))


def open_(caja: Caja, amount: str = "100") -> Any:
    user = caja.cashier["id"]
    return caja.store.write(
        lambda c: open_shift(
            c, ShiftOpen(opening_float=Decimal(amount)), user_id=user, now=utc_now()
        )
    )


def move(caja: Caja, kind: str, amount: str, reason: str = "cambio") -> Any:
    cmd = CashMovementIn.model_validate({"type": kind, "amount": amount, "reason": reason})
    user = caja.cashier["id"]
    return caja.store.write(lambda c: record_cash_movement(c, cmd, user_id=user, now=utc_now()))


def close(caja: Caja, counted: str) -> Any:
    user = caja.cashier["id"]
    return caja.store.write(
        lambda c: close_shift(
            c, ShiftClose(counted_cash=Decimal(counted)), user_id=user, now=utc_now()
        )
    )
