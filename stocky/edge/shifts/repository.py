"""SQL for cash shifts."""

from __future__ import annotations

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
