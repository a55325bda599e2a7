"""Request and response bodies for cash shifts."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from stocky.core.values import NonNegativeMoney, PositiveMoney, Text
from stocky.edge.inventory.schemas import Note, Strict
from stocky.edge.pos.schemas import Totals


class ShiftOpen(Strict):
    opening_float: NonNegativeMoney


class ShiftClose(Strict):
    counted_cash: NonNegativeMoney
    note: Note | None = None


class CashMovementIn(Strict):
    """Cash put into (in) or taken out of (out) the drawer, always with a reason."""

    type: Literal["in", "out"]
    amount: PositiveMoney
    reason: Annotated[Text, Field(min_length=1, max_length=200)]


class CashMovementOut(BaseModel):
    id: str
    shift_id: str
    type: Literal["in", "out"]
    amount: Decimal
    reason: str
    user_id: str
    client_ts: str
    op_id: str | None = None


class ZReport(Totals):
    """Totals of a closed shift and the cash count against what the drawer should hold.

    expected_cash = opening_float + cash_in (cash sales net of change) + paid_in - paid_out
    - refunds.cash. Who and where are kept with it, so a reprint shows what was closed.
    """

    shift_id: str
    opened_at: str
    closed_at: str
    opening_float: Decimal
    expected_cash: Decimal
    counted_cash: Decimal
    difference: Decimal
    cash_movements: list[CashMovementOut] = Field(default_factory=list)
    business: str | None = None
    sede: str | None = None
    caja: str | None = None
    cashier: str | None = None
    closed_by_name: str | None = None
    # Receipts as printed (C01-000042); None when the shift sold nothing.
    first_receipt: str | None = None
    last_receipt: str | None = None
    # Sales and returns made while no shift was open, taken in when this one opened.
    adopted_sales: int = 0
    adopted_returns: int = 0


class ShiftOut(BaseModel):
    id: str
    user_id: str
    opened_at: str
    opening_float: Decimal
    status: str
    closed_at: str | None = None
    z_report: ZReport | None = None
    op_id: str | None = None
    # What the shift took in when it opened (in the open's answer and the current shift).
    adopted_sales: int = 0
    adopted_returns: int = 0
