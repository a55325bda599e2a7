"""Cash shifts: one open at a time per caja; closing writes the Z report.

The outbox should be flushed before a close (ARCHITECTURE §3), which needs the sync engine:
the screen and the local API close through CajaRuntime.close_shift_flushed
(stocky.edge.runtime), which flushes first. The close itself never waits on the network.
"""

from __future__ import annotations

import json
import sqlite3

from stocky.core.errors import ConflictError, NotFoundError
from stocky.core.ids import new_id_str
from stocky.core.money import cents_to_money, money_to_cents
from stocky.core.ops import (
    MAX_ADOPTED,
    CashMovementPayload,
    ShiftClosePayload,
    ShiftOpenPayload,
)
from stocky.core.receipts import format_receipt
from stocky.edge.auth.session import user_name
from stocky.edge.outbox import append_op, op_payload, write_audit
from stocky.edge.pos.service import period_totals
from stocky.edge.shifts import repository as repo
from stocky.edge.shifts.schemas import (
    CashMovementIn,
    CashMovementOut,
    ShiftClose,
    ShiftOpen,
    ShiftOut,
    ZReport,
)
from stocky.edge.store.sede import load_sede_info


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
    """The open shift, with what it took in when it opened; None when none is open."""
    row = repo.open_shift(conn)
    if row is None:
        return None
    sales, returns = repo.adopted_counts(conn, row["id"])
    return _out(row).model_copy(update={"adopted_sales": sales, "adopted_returns": returns})


def open_shift(conn: sqlite3.Connection, cmd: ShiftOpen, *, user_id: str, now: str) -> ShiftOut:
    """Open the drawer with a float; 409 while another shift is open."""
    if repo.open_shift(conn) is not None:
        raise ConflictError("a shift is already open at this caja; close it first")
    shift_id = new_id_str()
    repo.insert_shift(conn, shift_id, user_id, now, money_to_cents(cmd.opening_float))
    # Every sale belongs to exactly one shift: what was sold or refunded with none open
    # (a card sale under the "cash" policy) is this shift's, in this same write.
    sales, returns = repo.unshifted(conn, MAX_ADOPTED)
    repo.adopt(conn, shift_id, sales, returns)
    payload = {
        "id": shift_id,
        "user_id": user_id,
        "opened_at": now,
        "opening_float": str(cmd.opening_float),
        "adopted_sales": sales,
        "adopted_returns": returns,
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
    return _out(row, op_id).model_copy(
        update={"adopted_sales": len(sales), "adopted_returns": len(returns)}
    )


def close_shift(conn: sqlite3.Connection, cmd: ShiftClose, *, user_id: str, now: str) -> ShiftOut:
    """Close the open shift with the counted cash; the Z report is stored with it."""
    row = repo.open_shift(conn)
    if row is None:
        raise ConflictError("no shift is open at this caja")
    totals = period_totals(conn, start=row["opened_at"], end=now, shift_id=row["id"])
    opening = cents_to_money(row["opening_float_cents"])
    expected = opening + totals.cash_in + totals.paid_in - totals.paid_out - totals.refunds["cash"]
    info = load_sede_info(conn)
    first, last = repo.receipt_range(conn, row["id"])
    adopted_sales, adopted_returns = repo.adopted_counts(conn, row["id"])
    report = ZReport(
        **totals.model_dump(),
        shift_id=row["id"],
        opened_at=row["opened_at"],
        closed_at=now,
        opening_float=opening,
        expected_cash=expected,
        counted_cash=cmd.counted_cash,
        difference=cmd.counted_cash - expected,
        cash_movements=[_movement_out(m) for m in repo.cash_movements(conn, row["id"])],
        business=info.tenant_name if info else None,
        sede=info.sede_name if info else None,
        caja=info.device_name if info else None,
        cashier=user_name(conn, row["user_id"]),
        closed_by_name=user_name(conn, user_id),
        first_receipt=None if first is None else format_receipt(*first),
        last_receipt=None if last is None else format_receipt(*last),
        adopted_sales=adopted_sales,
        adopted_returns=adopted_returns,
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


def _movement_out(row: sqlite3.Row, op_id: str | None = None) -> CashMovementOut:
    return CashMovementOut(
        id=row["id"],
        shift_id=row["shift_id"],
        type=row["type"],
        amount=cents_to_money(row["amount_cents"]),
        reason=row["reason"],
        user_id=row["user_id"],
        client_ts=row["client_ts"],
        op_id=op_id,
    )


def record_cash_movement(
    conn: sqlite3.Connection, cmd: CashMovementIn, *, user_id: str, now: str
) -> CashMovementOut:
    """Cash in or out of the open shift's drawer: the row, its audit, one `cash.movement` op.

    Taking out more than the drawer should hold is refused (409 naming amount).
    """
    shift = repo.open_shift(conn)
    if shift is None:
        raise ConflictError("shift: open a shift before moving cash", field="shift")
    cents = money_to_cents(cmd.amount)
    if cmd.type == "out":
        totals = period_totals(conn, start=shift["opened_at"], end=now, shift_id=shift["id"])
        drawer = (
            cents_to_money(shift["opening_float_cents"])
            + totals.cash_in
            + totals.paid_in
            - totals.paid_out
            - totals.refunds["cash"]
        )
        if cmd.amount > drawer:
            raise ConflictError(f"amount: the drawer should hold only {drawer}", field="amount")
    movement_id = new_id_str()
    payload = {
        "id": movement_id,
        "shift_id": shift["id"],
        "type": cmd.type,
        "amount": str(cmd.amount),
        "reason": cmd.reason.strip(),
        "user_id": user_id,
        "client_ts": now,
    }
    op = op_payload(CashMovementPayload, payload)
    repo.insert_cash_movement(
        conn,
        movement_id=movement_id,
        shift_id=shift["id"],
        kind=cmd.type,
        amount_cents=cents,
        reason=payload["reason"],
        user_id=user_id,
        client_ts=now,
    )
    write_audit(
        conn,
        user_id=user_id,
        action=f"cash.{cmd.type}",
        entity_type="cash_movement",
        entity_id=movement_id,
        ts=now,
        after=payload,
    )
    op_id = append_op(conn, entity_id=movement_id, payload=op, client_ts=now)
    row = conn.execute("SELECT * FROM cash_movements WHERE id = ?", (movement_id,)).fetchone()
    return _movement_out(row, op_id)


def shift_cash_movements(conn: sqlite3.Connection, shift_id: str) -> list[CashMovementOut]:
    return [_movement_out(m) for m in repo.cash_movements(conn, shift_id)]


def closed_shifts(conn: sqlite3.Connection, *, limit: int = 50, offset: int = 0) -> list[ShiftOut]:
    """Closed shifts, newest first, each with its Z report (to reprint it)."""
    return [_out(r) for r in repo.closed_shifts(conn, limit=limit, offset=offset)]


def get_shift(conn: sqlite3.Connection, shift_id: str) -> ShiftOut:
    row = repo.get_shift(conn, shift_id)
    if row is None:
        raise NotFoundError(f"shift {shift_id} not found", field="shift_id")
    return _out(row)
