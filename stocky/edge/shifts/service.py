"""Cash shifts: one open at a time per caja; closing writes the Z report.

The outbox should be flushed before a close (ARCHITECTURE §3), which needs the sync engine:
the API awaits the hooks in `app.state.before_shift_close` first (see stocky.edge.api.deps),
and the sync issue registers its flush there. The close itself never waits on the network.
"""

from __future__ import annotations

import json
import sqlite3

from stocky.core.ids import new_id_str
from stocky.core.money import cents_to_money, money_to_cents
from stocky.core.ops import ShiftClosePayload, ShiftOpenPayload
from stocky.edge.errors import ConflictError
from stocky.edge.outbox import append_op, op_payload, write_audit
from stocky.edge.pos.service import period_totals
from stocky.edge.shifts import repository as repo
from stocky.edge.shifts.schemas import ShiftClose, ShiftOpen, ShiftOut, ZReport


def _out(row: sqlite3.Row, op_id: str | None = None) -> ShiftOut:
    z = row["z_report"]
    return ShiftOut(
        id=row["id"],
        user_id=row["user_id"],
        opened_at=row["opened_at"],
        opening_float=cents_to_money(row["opening_float_cents"]),
        status=row["status"],
        closed_at=row["closed_at"],
        z_report=None if z is None else ZReport.model_validate_json(z),
        op_id=op_id,
    )


def current_shift(conn: sqlite3.Connection) -> ShiftOut | None:
    row = repo.open_shift(conn)
    return None if row is None else _out(row)


def open_shift(conn: sqlite3.Connection, cmd: ShiftOpen, *, user_id: str, now: str) -> ShiftOut:
    """Open the drawer with a float; 409 while another shift is open."""
    if repo.open_shift(conn) is not None:
        raise ConflictError("a shift is already open at this caja; close it first")
    shift_id = new_id_str()
    repo.insert_shift(conn, shift_id, user_id, now, money_to_cents(cmd.opening_float))
    payload = {
        "id": shift_id,
        "user_id": user_id,
        "opened_at": now,
        "opening_float": str(cmd.opening_float),
    }
    write_audit(
        conn,
        user_id=user_id,
        action="shift.open",
        entity_type="shift",
        entity_id=shift_id,
        ts=now,
        after=payload,
    )
    op = op_payload(ShiftOpenPayload, payload)
    op_id = append_op(conn, entity_id=shift_id, payload=op, client_ts=now)
    row = repo.get_shift(conn, shift_id)
    assert row is not None
    return _out(row, op_id)


def close_shift(conn: sqlite3.Connection, cmd: ShiftClose, *, user_id: str, now: str) -> ShiftOut:
    """Close the open shift with the counted cash; the Z report is stored with it."""
    row = repo.open_shift(conn)
    if row is None:
        raise ConflictError("no shift is open at this caja")
    totals = period_totals(conn, start=row["opened_at"], end=now, shift_id=row["id"])
    opening = cents_to_money(row["opening_float_cents"])
    expected = opening + totals.cash_in - totals.refunds["cash"]
    report = ZReport(
        **totals.model_dump(),
        shift_id=row["id"],
        opened_at=row["opened_at"],
        closed_at=now,
        opening_float=opening,
        expected_cash=expected,
        counted_cash=cmd.counted_cash,
        difference=cmd.counted_cash - expected,
    )
    report_json = report.model_dump_json()
    repo.close_shift(
        conn,
        row["id"],
        closed_at=now,
        counted_cents=money_to_cents(cmd.counted_cash),
        expected_cents=money_to_cents(expected),
        z_report=report_json,
    )
    payload = {
        "id": row["id"],
        "closed_by": user_id,
        "note": cmd.note,
        "z_report": json.loads(report_json),
    }
    write_audit(
        conn,
        user_id=user_id,
        action="shift.close",
        entity_type="shift",
        entity_id=row["id"],
        ts=now,
        after=payload,
    )
    op = op_payload(ShiftClosePayload, payload)
    op_id = append_op(conn, entity_id=row["id"], payload=op, client_ts=now)
    closed = repo.get_shift(conn, row["id"])
    assert closed is not None
    return _out(closed, op_id)
