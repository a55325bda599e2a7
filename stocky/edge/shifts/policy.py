"""The caja's money rules: when a shift must be open, when a return needs a manager.

The tenant or sede sets them in the cloud (`caja_policy` in the sede's config, pulled at
activation); a caja without one uses DEFAULTS, which STOCKY_CAJA_POLICY (JSON) may override
on that machine (tests use it to keep the older, looser behaviour where it is not tested).
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from stocky.core.money import money_to_cents

ShiftRequired = Literal["cash", "all", "none"]
DEFAULTS: dict[str, Any] = {
    # "cash": a sale paid (partly) in cash, or a cash refund, needs an open shift.
    "shift_required": "cash",
    # A return refunding more than this (pesos) needs a manager; None: no threshold.
    "return_approval_above": None,
    # Returning a whole ticket at once needs a manager.
    "return_approval_whole_ticket": True,
}


@dataclass(frozen=True, slots=True)
class CajaPolicy:
    shift_required: ShiftRequired
    return_approval_above_cents: int | None
    return_approval_whole_ticket: bool


def caja_policy(conn: sqlite3.Connection) -> CajaPolicy:
    """The policy in force: the sede's config over this machine's defaults."""
    merged = dict(DEFAULTS)
    override = os.environ.get("STOCKY_CAJA_POLICY")
    if override:
        merged.update(json.loads(override))
    row = conn.execute("SELECT config FROM sede_info WHERE id = 1").fetchone()
    if row is not None:
        configured = json.loads(row[0]).get("caja_policy")
        if isinstance(configured, dict):
            merged.update(configured)
    above = merged.get("return_approval_above")
    required = merged.get("shift_required")
    return CajaPolicy(
        shift_required=required if required in ("cash", "all", "none") else "cash",
        return_approval_above_cents=None
        if above is None
        else money_to_cents(Decimal(str(above)).quantize(Decimal("0.01"))),
        return_approval_whole_ticket=bool(merged.get("return_approval_whole_ticket", True)),
    )
