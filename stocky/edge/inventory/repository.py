"""SQL for stock: products by id or barcode, movement rows, inventory rows."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from stocky.core.money import cents_to_money, milli_to_quantity
from stocky.edge.store.search import product_by_barcode

MovementType = Literal["sale", "return", "entry", "adjustment"]


@dataclass(frozen=True, slots=True)
class Movement:
    """One append-only stock movement; quantity_milli is signed (negative leaves the store)."""

    id: str
    type: MovementType
    product_id: str
    quantity_milli: int
    unit_price_cents: int = 0
    unit_cost_cents: int | None = None
    discount_cents: int = 0
    product_version: int | None = None
    sale_id: str | None = None
    ref_id: str | None = None
    note: str | None = None

    def payload(self) -> dict[str, Any]:
        """The movement as the sync payload carries it: decimal strings, never floats."""
        return {
            "id": self.id,
            "product_id": self.product_id,
            "type": self.type,
            "quantity": str(milli_to_quantity(self.quantity_milli)),
            "unit_price": str(cents_to_money(self.unit_price_cents)),
            "unit_cost": (
                None if self.unit_cost_cents is None else str(cents_to_money(self.unit_cost_cents))
            ),
            "discount": str(cents_to_money(self.discount_cents)),
            "product_version": self.product_version,
            "sale_id": self.sale_id,
            "ref_id": self.ref_id,
            "note": self.note,
        }


def get_product(conn: sqlite3.Connection, product_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM products WHERE id = ?", (product_id,)
    ).fetchone()
    return row


def find_product(
    conn: sqlite3.Connection, *, product_id: str | None, barcode: str | None
) -> sqlite3.Row | None:
    if product_id is not None:
        return get_product(conn, product_id)
    if barcode is not None:
        return product_by_barcode(conn, barcode)
    return None


def insert_movements(
    conn: sqlite3.Connection,
    movements: Iterable[Movement],
    *,
    document_id: str,
    user_id: str,
    client_ts: str,
) -> None:
    """Append the movements and add each one to the quantity the caja shows."""
    rows = [
        (
            m.id,
            m.type,
            m.product_id,
            m.quantity_milli,
            m.unit_price_cents,
            m.unit_cost_cents,
            m.discount_cents,
            m.product_version,
            m.sale_id,
            m.ref_id,
            document_id,
            user_id,
            client_ts,
            m.note,
        )
        for m in movements
    ]
    conn.executemany(
        """
        INSERT INTO transactions (id, type, product_id, quantity_milli, unit_price_cents,
            unit_cost_cents, discount_cents, product_version, sale_id, ref_id, document_id,
            user_id, client_ts, note)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        rows,
    )
    conn.executemany(
        """
        INSERT INTO inventory (product_id, quantity_milli, updated_at) VALUES (?, ?, ?)
        ON CONFLICT (product_id) DO UPDATE
        SET quantity_milli = quantity_milli + excluded.quantity_milli,
            updated_at = excluded.updated_at
        """,
        [(row[2], row[3], client_ts) for row in rows],
    )


def quantity_milli(conn: sqlite3.Connection, product_id: str) -> int:
    row = conn.execute(
        "SELECT quantity_milli FROM inventory WHERE product_id = ?", (product_id,)
    ).fetchone()
    return 0 if row is None else int(row[0])


def get_thresholds(conn: sqlite3.Connection, product_id: str) -> tuple[int, int | None] | None:
    row = conn.execute(
        "SELECT min_milli, max_milli FROM inventory WHERE product_id = ?", (product_id,)
    ).fetchone()
    return None if row is None else (int(row[0]), row[1])


def set_thresholds(
    conn: sqlite3.Connection, product_id: str, min_milli: int, max_milli: int | None, ts: str
) -> None:
    conn.execute(
        """
        INSERT INTO inventory (product_id, min_milli, max_milli, updated_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (product_id) DO UPDATE
        SET min_milli = excluded.min_milli, max_milli = excluded.max_milli,
            updated_at = excluded.updated_at
        """,
        (product_id, min_milli, max_milli, ts),
    )
