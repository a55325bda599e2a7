"""SQL for cash shifts."""

from __future__ import annotations

import json
import sqlite3


def open_shift(conn: sqlite3.Connection) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute("SELECT * FROM shifts WHERE status = 'open'").fetchone()
    return row


def open_shift_id(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT id FROM shifts WHERE status = 'open'").fetchone()
    return None if row is None else str(row[0])


def get_shift(conn: sqlite3.Connection, shift_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM shifts WHERE id = ?", (shift_id,)
    ).fetchone()
    return row


def insert_shift(
    conn: sqlite3.Connection, shift_id: str, user_id: str, opened_at: str, float_cents: int
) -> None:
    conn.execute(
        "INSERT INTO shifts (id, user_id, opened_at, opening_float_cents) VALUES (?, ?, ?, ?)",
        (shift_id, user_id, opened_at, float_cents),
    )


def close_shift(
    conn: sqlite3.Connection,
    shift_id: str,
    *,
    closed_at: str,
    counted_cents: int,
    expected_cents: int,
    z_report: str,
) -> None:
    conn.execute(
        """
        UPDATE shifts SET status = 'closed', closed_at = ?, counted_cash_cents = ?,
            expected_cash_cents = ?, z_report = ?
        WHERE id = ?
        """,
        (closed_at, counted_cents, expected_cents, z_report, shift_id),
    )


def closed_shifts(conn: sqlite3.Connection, *, limit: int, offset: int) -> list[sqlite3.Row]:
    """Closed shifts, newest first, with the cashier's name (for reprinting a Z report)."""
    return conn.execute(
        """
        SELECT s.*, u.name AS user_name FROM shifts AS s LEFT JOIN users AS u ON u.id = s.user_id
        WHERE s.status = 'closed' ORDER BY s.closed_at DESC, s.id DESC LIMIT ? OFFSET ?
        """,
        (limit, offset),
    ).fetchall()


def insert_cash_movement(
    conn: sqlite3.Connection,
    *,
    movement_id: str,
    shift_id: str,
    kind: str,
    amount_cents: int,
    reason: str,
    user_id: str,
    client_ts: str,
) -> None:
    conn.execute(
        """
        INSERT INTO cash_movements (id, shift_id, type, amount_cents, reason, user_id, client_ts)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        """,
        (movement_id, shift_id, kind, amount_cents, reason, user_id, client_ts),
    )


def cash_movements(conn: sqlite3.Connection, shift_id: str) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT * FROM cash_movements WHERE shift_id = ? ORDER BY client_ts, rowid", (shift_id,)
    ).fetchall()


def cash_moved(
    conn: sqlite3.Connection, *, shift_id: str | None, start: str, end: str
) -> dict[str, int]:
    """Cents put in ('in') and taken out ('out') during a shift, or over [start, end)."""
    if shift_id is not None:
        where, params = "shift_id = ?", (shift_id,)
    else:
        where, params = "client_ts >= ? AND client_ts < ?", (start, end)  # type: ignore[assignment]
    rows = conn.execute(
        f"SELECT type, sum(amount_cents) FROM cash_movements WHERE {where} GROUP BY type", params
    ).fetchall()
    return {str(t): int(a) for t, a in rows}


def insert_refunds(
    conn: sqlite3.Connection,
    *,
    sale_id: str,
    return_id: str,
    shift_id: str | None,
    refunds: list[tuple[str, int]],
) -> None:
    """One negative sale_payments row per refund method; the first row's id is the return's."""
    conn.executemany(
        """
        INSERT INTO sale_payments (id, sale_id, method, amount_cents, return_id, shift_id)
        VALUES (?, ?, ?, ?, ?, ?)
        """,
        [
            (
                return_id if i == 0 else f"{return_id}:{method}",
                sale_id,
                method,
                -cents,
                return_id,
                shift_id,
            )
            for i, (method, cents) in enumerate(refunds)
        ],
    )


def refundable_by_method(
    conn: sqlite3.Connection, sale_id: str, change_cents: int
) -> dict[str, int]:
    """What each method paid for the sale (cash net of change) less what it refunded already."""
    left: dict[str, int] = {"cash": 0, "card": 0, "transfer": 0}
    for method, amount in conn.execute(
        "SELECT method, sum(amount_cents) FROM sale_payments WHERE sale_id = ? GROUP BY method",
        (sale_id,),
    ):
        left[str(method)] = int(amount)
    left["cash"] -= change_cents
    return left


def refunds(
    conn: sqlite3.Connection, *, shift_id: str | None, start: str, end: str
) -> tuple[int, dict[str, int]]:
    """(returns with a refund, cents refunded per method) in a shift, or by the returns'
    time over [start, end)."""
    if shift_id is not None:
        rows = conn.execute(
            """
            SELECT method, -sum(amount_cents), count(DISTINCT return_id) FROM sale_payments
            WHERE shift_id = ? AND amount_cents < 0 GROUP BY method
            """,
            (shift_id,),
        ).fetchall()
        count = conn.execute(
            "SELECT count(DISTINCT return_id) FROM sale_payments WHERE shift_id = ?"
            " AND amount_cents < 0",
            (shift_id,),
        ).fetchone()[0]
        return int(count), {str(m): int(a) for m, a, _ in rows}
    docs = [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT document_id FROM transactions"
            " WHERE type = 'return' AND client_ts >= ? AND client_ts < ?",
            (start, end),
        )
    ]
    by_method: dict[str, int] = {}
    if docs:
        marks = ", ".join("?" for _ in docs)
        for method, amount in conn.execute(
            "SELECT method, -sum(amount_cents) FROM sale_payments"
            f" WHERE coalesce(return_id, id) IN ({marks}) AND amount_cents < 0 GROUP BY method",
            docs,
        ):
            by_method[str(method)] = int(amount)
    return len(docs), by_method


def unshifted(conn: sqlite3.Connection, limit: int) -> tuple[list[str], list[str]]:
    """(sales, returns) this caja made with no shift open, oldest first, at most `limit` each.

    A return is its refund rows (sale_payments with a return_id); sales of other cajas
    fetched to take one back (origin 'cloud') belong to their own caja's shifts.

    Only what came after the last sale or refund that has a shift: a caja upgraded from a
    version without adoption may hold shift-less sales from long ago, which no Z report
    counted and the next shift's expected cash must not take in. Receipt numbers and rowids
    only grow, so this holds even when the clock was set back.
    """
    sales = conn.execute(
        """
        SELECT id FROM sales WHERE shift_id IS NULL AND origin = 'local'
          AND number > coalesce((SELECT max(number) FROM sales
                                 WHERE shift_id IS NOT NULL AND origin = 'local'), -1)
        ORDER BY number LIMIT ?
        """,
        (limit,),
    ).fetchall()
    returns = conn.execute(
        """
        SELECT return_id FROM sale_payments
        WHERE shift_id IS NULL AND return_id IS NOT NULL AND amount_cents < 0
          AND rowid > coalesce((SELECT max(rowid) FROM sale_payments
                                WHERE shift_id IS NOT NULL), -1)
        GROUP BY return_id ORDER BY min(rowid) LIMIT ?
        """,
        (limit,),
    ).fetchall()
    return [str(r[0]) for r in sales], [str(r[0]) for r in returns]


def adopt(conn: sqlite3.Connection, shift_id: str, sales: list[str], returns: list[str]) -> None:
    """Give these shift-less sales and returns to the shift (never one that has a shift)."""
    conn.execute(
        "UPDATE sales SET shift_id = ? WHERE shift_id IS NULL"
        " AND id IN (SELECT value FROM json_each(?))",
        (shift_id, json.dumps(sales)),
    )
    conn.execute(
        "UPDATE sale_payments SET shift_id = ? WHERE shift_id IS NULL AND amount_cents < 0"
        " AND return_id IN (SELECT value FROM json_each(?))",
        (shift_id, json.dumps(returns)),
    )


def adopted_counts(conn: sqlite3.Connection, shift_id: str) -> tuple[int, int]:
    """(sales, returns) the shift adopted when it opened, as its open's audit row says."""
    row = conn.execute(
        """
        SELECT coalesce(json_array_length(after_data, '$.adopted_sales'), 0),
               coalesce(json_array_length(after_data, '$.adopted_returns'), 0)
        FROM audit_logs WHERE entity_type = 'shift' AND entity_id = ? AND action = 'shift.open'
        """,
        (shift_id,),
    ).fetchone()
    return (0, 0) if row is None else (int(row[0]), int(row[1]))


def receipt_range(
    conn: sqlite3.Connection, shift_id: str
) -> tuple[tuple[str | None, int] | None, tuple[str | None, int] | None]:
    """(prefix, number) of the shift's first and last receipts, or None when it sold nothing."""
    ends = []
    for order in ("ASC", "DESC"):
        row = conn.execute(
            "SELECT receipt_prefix, number FROM sales WHERE shift_id = ? AND origin = 'local'"
            f" ORDER BY number {order} LIMIT 1",
            (shift_id,),
        ).fetchone()
        ends.append(None if row is None else (row[0], int(row[1])))
    return ends[0], ends[1]
