"""Schema v8 (issue 12 item 6): `sales` loses UNIQUE(number) so another caja's ticket can be
kept for a return; a file of v7 keeps every sale and payment, and this caja's own numbers
stay unique."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from stocky.edge.store import MIGRATIONS, Store, schema_version, utc_now
from stocky.edge.store.connection import INTEGRITY_ERRORS
from stocky.edge.store.schema import SCHEMA_V8_SALES_ELSEWHERE

V8 = MIGRATIONS.index(SCHEMA_V8_SALES_ELSEWHERE)


def _sale(conn: sqlite3.Connection, sale_id: str, number: int, **extra: str) -> None:
    columns = ", ".join(
        [
            "id",
            "number",
            "user_id",
            "subtotal_cents",
            "total_cents",
            "paid_cents",
            "client_ts",
            *extra,
        ]
    )
    marks = ", ".join("?" * (7 + len(extra)))
    conn.execute(
        f"INSERT INTO sales ({columns}) VALUES ({marks})",
        (sale_id, number, "u1", 1000, 1000, 1000, utc_now(), *extra.values()),
    )


def test_a_v7_file_keeps_its_sales_and_payments(tmp_path: Path) -> None:
    path = tmp_path / "caja.db"
    old = Store.open(path, migrations=MIGRATIONS[:V8])

    def seed(conn: sqlite3.Connection) -> None:
        _sale(conn, "s1", 1, receipt_prefix="C02")
        conn.execute(
            "INSERT INTO sale_payments (id, sale_id, method, amount_cents) "
            "VALUES ('p1', 's1', 'cash', 1000)"
        )

    old.write(seed)
    old.close()
    store = Store.open(path)
    try:
        assert store.read(schema_version) == len(MIGRATIONS)
        rows = store.read(
            lambda c: c.execute(
                "SELECT s.id, s.number, s.receipt_prefix, s.origin, p.id FROM sales s "
                "JOIN sale_payments p ON p.sale_id = s.id"
            ).fetchall()
        )
        assert [tuple(r) for r in rows] == [("s1", 1, "C02", "local", "p1")]
        # Another caja's ticket of the same number fits; a second own #1 does not.
        store.write(
            lambda c: _sale(c, "s2", 1, receipt_prefix="C01", origin="cloud", device_id="d")
        )
        with pytest.raises(INTEGRITY_ERRORS):
            store.write(lambda c: _sale(c, "s3", 1))
        # Payments still cascade from their sale, and name only sales that exist.
        with pytest.raises(INTEGRITY_ERRORS):
            store.write(
                lambda c: c.execute(
                    "INSERT INTO sale_payments (id, sale_id, method, amount_cents) "
                    "VALUES ('p2', 'nope', 'cash', 1)"
                )
            )
        fk = store.read(lambda c: c.execute("PRAGMA foreign_key_list(sale_payments)").fetchall())
        assert {r["table"] for r in fk} == {"sales", "shifts"}
    finally:
        store.close()
