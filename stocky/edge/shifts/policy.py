"""The caja's money rules: when a shift must be open, when a return needs a manager.

The tenant or sede sets them in the cloud (`caja_policy` in the sede's config, pulled at
activation); a caja without one uses DEFAULTS, which STOCKY_CAJA_POLICY (JSON) may override
on that machine (tests use it to keep the older, looser behaviour where it is not tested).
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from stocky.core.money import AmountError, money_to_cents

log = logging.getLogger(__name__)
ShiftRequired = Literal["cash", "all", "none"]
Approval = Literal["pin", "login", "either"]
DEFAULTS: dict[str, Any] = {
    # "cash": a sale paid (partly) in cash, or a cash refund, needs an open shift.
    "shift_required": "cash",
    # A return refunding more than this (pesos) needs a manager; None: no threshold.
    "return_approval_above": None,
    # Returning a whole ticket at once needs a manager.
    "return_approval_whole_ticket": True,
    # A sale whose discounts (lines and ticket) exceed this amount (pesos), or this percent
    # of its subtotal, needs a manager; None: no limit.
    "discount_approval_above": None,
    "discount_approval_above_percent": None,
    # Confirm before a line's quantity goes above this, per product unit (a 500 kg typo).
    "quantity_confirm_above": {"unit": 100, "weight": 50},
    # How a manager approves at this caja: their PIN, their email and password, or either.
    "approval": "either",
}


@dataclass(frozen=True, slots=True)
class CajaPolicy:
    shift_required: ShiftRequired
    return_approval_above_cents: int | None
    return_approval_whole_ticket: bool
    discount_approval_above_cents: int | None = None
    discount_approval_above_percent: Decimal | None = None
    quantity_confirm_above: dict[str, Decimal] | None = None
    approval: Approval = "either"

    def discount_needs_manager(self, discount_cents: int, subtotal_cents: int) -> bool:
        """True when a sale's discount is above the amount or percent limit."""
        above, pct = self.discount_approval_above_cents, self.discount_approval_above_percent
        if discount_cents <= 0:
            return False
        if above is not None and discount_cents > above:
            return True
        return pct is not None and discount_cents * 100 > pct * subtotal_cents

    def quantity_limit(self, unit: str) -> Decimal | None:
        """Above this quantity of a product sold by `unit`, the caja asks to confirm."""
        return (self.quantity_confirm_above or {}).get(unit)


def caja_policy(conn: sqlite3.Connection) -> CajaPolicy:
    """The policy in force: the sede's config over this machine's defaults."""
    merged = dict(DEFAULTS)
    # A value that does not read (a typo in the sede's config, a broken override) falls back
    # to the default for that rule: selling must never fail on a setting.
    override = os.environ.get("STOCKY_CAJA_POLICY")
    if override:
        merged.update(_object(override))
    row = conn.execute("SELECT config FROM sede_info WHERE id = 1").fetchone()
    if row is not None:
        configured = _object(row[0]).get("caja_policy")
        if isinstance(configured, dict):
            merged.update(configured)
    required = merged.get("shift_required")
    return CajaPolicy(
        shift_required=required if required in ("cash", "all", "none") else "cash",
        return_approval_above_cents=_cents(merged.get("return_approval_above")),
        return_approval_whole_ticket=bool(merged.get("return_approval_whole_ticket", True)),
        discount_approval_above_cents=_cents(merged.get("discount_approval_above")),
        discount_approval_above_percent=_decimal(merged.get("discount_approval_above_percent")),
        quantity_confirm_above=_limits(merged.get("quantity_confirm_above")),
        approval=approval if (approval := merged.get("approval")) in ("pin", "login") else "either",
    )


def _object(text: str) -> dict[str, Any]:
    try:
        found = json.loads(text)
    except ValueError:
        log.warning("caja policy is not JSON; using the defaults: %.80r", text)
        return {}
    return found if isinstance(found, dict) else {}


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        found = Decimal(str(value))
    except ArithmeticError:
        return None
    return found if found.is_finite() and found >= 0 else None


def _cents(value: Any) -> int | None:
    found = _decimal(value)
    if found is None:
        return None
    try:
        return money_to_cents(found.quantize(Decimal("0.01")))
    except (AmountError, ArithmeticError):
        return None


def _limits(value: Any) -> dict[str, Decimal] | None:
    if not isinstance(value, dict):
        return None
    limits = {str(unit): _decimal(limit) for unit, limit in value.items()}
    return {unit: limit for unit, limit in limits.items() if limit is not None}
