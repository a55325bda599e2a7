"""Request and response bodies for cash shifts."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from stocky.core.values import NonNegativeMoney
from stocky.edge.inventory.schemas import Note, Strict
from stocky.edge.pos.schemas import Totals


class ShiftOpen(Strict):
    opening_float: NonNegativeMoney


class ShiftClose(Strict):
    counted_cash: NonNegativeMoney
    note: Note | None = None


class ZReport(Totals):
    """Totals of a closed shift and the cash count against what the drawer should hold."""

    shift_id: str
    opened_at: str
    closed_at: str
    opening_float: Decimal
    expected_cash: Decimal
    counted_cash: Decimal
    difference: Decimal


class ShiftOut(BaseModel):
    id: str
    user_id: str
    opened_at: str
    opening_float: Decimal
    status: str
    closed_at: str | None = None
    z_report: ZReport | None = None
    op_id: str | None = None
