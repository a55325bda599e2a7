"""SQL for sales, their payments and refunds, their lines and what was returned of them.

A refund is stored as a negative sale_payments row whose id is the return's document id, so
per-method totals net out and a period's refunds are found through the return movements.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass


def gross_cents(unit_price_cents: int, quantity_milli: int) -> int:
    """price x quantity in cents, rounded half up (both operands are non-negative)."""
    return (unit_price_cents * quantity_milli + 500) // 1000


SALE_NUMBER_FLOOR = "restore.sale_number_floor"


def next_number(conn: sqlite3.Connection) -> int:
    """This caja's next receipt number: gap-free, one sequence whatever the prefix (the
    readable number, C01-000042, is the caja's prefix + this: stocky.core.receipts)."""
    # Safe without a counter row: every write runs on the store's single writer.
    # Another caja's sale, fetched for a return (origin 'cloud'), is not in this sequence.
    row = conn.execute("SELECT coalesce(max(number), 0) + 1 FROM sales WHERE origin = 'local'")
    # A caja restored from a backup goes on past the numbers the cloud already holds from it
    # (stocky.edge.backup.restore), though its own file lost those sales.
    floor = conn.execute("SELECT value FROM sync_state WHERE key = ?", (SALE_NUMBER_FLOOR,))
    floor_row = floor.fetchone()
    return max(int(row.fetchone()[0]), int(floor_row[0]) + 1 if floor_row else 0)


def receipt_prefix(conn: sqlite3.Connection) -> str | None:
    """The prefix the next receipt prints with (C01), or None if the cloud has not said."""
    row = conn.execute("SELECT receipt_prefix FROM sede_info WHERE id = 1").fetchone()
    return None if row is None else row[0]


@dataclass(frozen=True, slots=True)
class SaleRow:
    id: str
    number: int
    user_id: str
    shift_id: str | None
    subtotal_cents: int
    discount_cents: int
    tax_cents: int
    total_cents: int
    paid_cents: int
    change_cents: int
    client_ts: str
    status: str = "completed"
    receipt_prefix: str | None = None
    customer_name: str | None = None
    customer_tax_id: str | None = None
    discount_approved_by: str | None = None
    taxes: str | None = None


def insert_sale(conn: sqlite3.Connection, sale: SaleRow) -> None:
    conn.execute(
        """
        INSERT INTO sales (id, number, user_id, shift_id, subtotal_cents, discount_cents,
            tax_cents, total_cents, paid_cents, change_cents, client_ts, status, receipt_prefix,
            customer_name, customer_tax_id, discount_approved_by, taxes)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        (
            sale.id,
            sale.number,
            sale.user_id,
            sale.shift_id,
            sale.subtotal_cents,
            sale.discount_cents,
            sale.tax_cents,
            sale.total_cents,
            sale.paid_cents,
            sale.change_cents,
            sale.client_ts,
            sale.status,
            sale.receipt_prefix,
            sale.customer_name,
            sale.customer_tax_id,
            sale.discount_approved_by,
            sale.taxes,
        ),
    )


def insert_payments(
    conn: sqlite3.Connection, sale_id: str, payments: Iterable[tuple[str, str, int]]
) -> None:
    """(id, method, amount_cents) rows; a negative amount is a refund."""
    conn.executemany(
        "INSERT INTO sale_payments (id, sale_id, method, amount_cents) VALUES (?, ?, ?, ?)",
        [(pid, sale_id, method, amount) for pid, method, amount in payments],
    )


def get_sale(conn: sqlite3.Connection, sale_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM sales WHERE id = ?", (sale_id,)
    ).fetchone()
    return row


def sale_lines(conn: sqlite3.Connection, sale_id: str) -> list[sqlite3.Row]:
    """The sale's lines (its sale movements, quantity made positive) with what was returned."""
    return conn.execute(
        """
        SELECT t.id, t.product_id, p.name, p.unit, p.tax_rate, -t.quantity_milli AS quantity_milli,
               t.unit_price_cents, t.unit_cost_cents, t.discount_cents, t.product_version,
               coalesce((SELECT sum(r.quantity_milli) FROM transactions AS r
                         WHERE r.ref_id = t.id AND r.type = 'return'), 0) AS returned_milli
        FROM transactions AS t JOIN products AS p ON p.id = t.product_id
        WHERE t.sale_id = ? AND t.type = 'sale'
        ORDER BY t.rowid
        """,
        (sale_id,),
    ).fetchall()


def sale_payments(conn: sqlite3.Connection, sale_id: str) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT id, method, amount_cents FROM sale_payments WHERE sale_id = ? ORDER BY rowid",
        (sale_id,),
    ).fetchall()


def set_sale_status(conn: sqlite3.Connection, sale_id: str, status: str) -> None:
    conn.execute("UPDATE sales SET status = ? WHERE id = ?", (status, sale_id))


@dataclass(frozen=True, slots=True)
class PeriodRows:
    sales: sqlite3.Row
    payments: dict[str, int]
    returns_count: int
    refunds: dict[str, int]


def period_totals(
    conn: sqlite3.Connection, *, start: str, end: str, shift_id: str | None = None
) -> PeriodRows:
    """Sales (by client time, or by shift when given) and returns made in [start, end)."""
    if shift_id is not None:
        sale_filter, params = "s.shift_id = :shift", {"shift": shift_id}
    else:
        sale_filter, params = "s.client_ts >= :start AND s.client_ts < :end", {}
    params |= {"start": start, "end": end}
    sales = conn.execute(
        f"""
        SELECT count(*) AS n, coalesce(sum(subtotal_cents), 0) AS subtotal,
               coalesce(sum(discount_cents), 0) AS discount, coalesce(sum(tax_cents), 0) AS tax,
               coalesce(sum(total_cents), 0) AS total, coalesce(sum(change_cents), 0) AS change
        FROM sales AS s WHERE {sale_filter} AND s.status <> 'voided' AND s.origin = 'local'
        """,
        params,
    ).fetchone()
    payments = conn.execute(
        f"""
        SELECT p.method, sum(p.amount_cents) FROM sale_payments AS p
        JOIN sales AS s ON s.id = p.sale_id
        WHERE {sale_filter} AND s.status <> 'voided' AND s.origin = 'local' AND p.amount_cents > 0
        GROUP BY p.method
        """,
        params,
    ).fetchall()
    returns = conn.execute(
        """
        SELECT DISTINCT document_id FROM transactions
        WHERE type = 'return' AND client_ts >= :start AND client_ts < :end
        """,
        params,
    ).fetchall()
    return_ids = [r[0] for r in returns]
    refunds: dict[str, int] = {}
    if return_ids:
        marks = ", ".join("?" for _ in return_ids)
        for method, amount in conn.execute(
            f"SELECT method, -sum(amount_cents) FROM sale_payments WHERE id IN ({marks}) "
            "GROUP BY method",
            return_ids,
        ):
            refunds[method] = int(amount)
    return PeriodRows(
        sales=sales,
        payments={m: int(a) for m, a in payments},
        returns_count=len(return_ids),
        refunds=refunds,
    )
