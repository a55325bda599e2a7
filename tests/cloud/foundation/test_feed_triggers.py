"""Migration 0004: the change feed written per statement holds exactly what the per-row
triggers wrote (same rows, same columns, same order), and its downgrade restores them."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
from alembic import command

from stocky.cloud.db import create_owner_engine
from stocky.cloud.embedded import libpq_url
from stocky.cloud.migrate import alembic_config, upgrade
from tests.fixtures.database import APP_PASSWORD, APP_ROLE, DatabaseUrls

T, S1, S2, DEV, USER = (uuid.uuid4() for _ in range(5))
P = [uuid.uuid4() for _ in range(3)]
SALE, SHIFT, TRANSFER, DOC = (uuid.uuid4() for _ in range(4))
MOVES = [uuid.uuid4() for _ in range(3)]
TS = "2026-01-31T14:05:09Z"

# Every kind of statement the cloud runs on a fed table: multi-row inserts, inserts that
# skip conflicts, upserts that both insert and update, updates (of no rows too), deletes,
# a cascade, and a row scoped to two sedes.
SCRIPT: list[tuple[str, tuple[Any, ...]]] = [
    ("INSERT INTO tenants (id, name, slug) VALUES (%s, 'T', 't')", (T,)),
    (
        "INSERT INTO sedes (tenant_id, id, name) VALUES (%s, %s, 'one'), (%s, %s, 'two')",
        (T, S1, T, S2),
    ),
    (
        "INSERT INTO devices (tenant_id, id, sede_id, name, credential_hash) "
        "VALUES (%s, %s, %s, 'caja', 'x')",
        (T, DEV, S1),
    ),
    (
        "INSERT INTO users (tenant_id, id, email, name, password_hash, role) "
        "VALUES (%s, %s, 'a@b.co', 'A', 'x', 'cashier')",
        (T, USER),
    ),
    (
        "INSERT INTO products (tenant_id, id, sku, name, price) VALUES "
        "(%s, %s, 'A', 'A', 1.50), (%s, %s, 'B', 'B', 2), (%s, %s, 'C', 'C', 3)",
        (T, P[0], T, P[1], T, P[2]),
    ),
    (
        "INSERT INTO product_barcodes (tenant_id, barcode, product_id) VALUES "
        "(%s, '111', %s), (%s, '222', %s)",
        (T, P[0], T, P[1]),
    ),
    ("UPDATE products SET price = price + 1, version = version + 1 WHERE sku <> 'C'", ()),
    ("UPDATE products SET price = 9 WHERE false", ()),
    (
        "INSERT INTO inventory (tenant_id, sede_id, product_id, quantity) VALUES (%s, %s, %s, 1)",
        (T, S1, P[1]),
    ),
    (
        "INSERT INTO inventory (tenant_id, sede_id, product_id, quantity) VALUES "
        "(%s, %s, %s, 5), (%s, %s, %s, -2), (%s, %s, %s, 3) "
        "ON CONFLICT (tenant_id, sede_id, product_id) DO UPDATE "
        "SET quantity = inventory.quantity + excluded.quantity, version = inventory.version + 1",
        (T, S1, P[0], T, S1, P[1], T, S2, P[2]),
    ),
    (
        "INSERT INTO shifts (tenant_id, id, sede_id, device_id, user_id, opening_float, opened_at) "
        "VALUES (%s, %s, %s, %s, %s, 10, %s)",
        (T, SHIFT, S1, DEV, USER, TS),
    ),
    (
        "INSERT INTO sales (tenant_id, id, sede_id, device_id, shift_id, number, subtotal, "
        "discount, tax, total, paid, change, client_timestamp) "
        "VALUES (%s, %s, %s, %s, %s, 1, 5, 0, 0, 5, 5, 0, %s)",
        (T, SALE, S1, DEV, SHIFT, TS),
    ),
    (
        "INSERT INTO transactions (tenant_id, id, sede_id, product_id, type, quantity, "
        "document_id, sale_id, client_timestamp) VALUES "
        "(%s, %s, %s, %s, 'sale', -1, %s, %s, %s), (%s, %s, %s, %s, 'sale', -2, %s, %s, %s)",
        (T, MOVES[0], S1, P[0], DOC, SALE, TS, T, MOVES[1], S1, P[1], DOC, SALE, TS),
    ),
    (
        "INSERT INTO transactions (tenant_id, id, sede_id, product_id, type, quantity, "
        "document_id, client_timestamp) VALUES (%s, %s, %s, %s, 'entry', 4, %s, %s), "
        "(%s, %s, %s, %s, 'entry', 4, %s, %s) ON CONFLICT DO NOTHING",
        (T, MOVES[0], S1, P[0], DOC, TS, T, MOVES[2], S2, P[2], DOC, TS),
    ),
    (
        "INSERT INTO transfers (tenant_id, id, from_sede_id, to_sede_id, product_id, quantity) "
        "VALUES (%s, %s, %s, %s, %s, 2)",
        (T, TRANSFER, S1, S2, P[0]),
    ),
    ("UPDATE transfers SET status = 'completed'", ()),
    ("UPDATE shifts SET status = 'closed'", ()),
    ("DELETE FROM transfers", ()),
    ("DELETE FROM product_barcodes WHERE barcode = '111'", ()),
    ("DELETE FROM sales", ()),
    ("DELETE FROM inventory WHERE product_id = %s", (P[2],)),
    ("DELETE FROM transactions WHERE product_id = %s", (P[2],)),
    ("DELETE FROM products WHERE id = %s", (P[2],)),
]


def _clock_free(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """A feed row's data without the columns the clock fills (they differ between runs)."""
    if data is None:
        return None
    return {k: v for k, v in data.items() if not (k.endswith("_at") or k == "server_timestamp")}


def _feed_of_script(database: DatabaseUrls, *, transfers: bool) -> list[tuple[Any, ...]]:
    """Run SCRIPT in one transaction, read the feed it wrote, roll it all back.

    `transfers`: with its statements on the transfers table, which 0013 drops (it was the
    one table scoped to two sedes, so 0003 and 0004 are still compared on it).
    """
    with psycopg.connect(libpq_url(database.app_url)) as conn:
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(T),))
        for statement, params in SCRIPT:
            if transfers or "transfers" not in statement:
                conn.execute(statement, params)
        rows = conn.execute(
            "SELECT tenant_id, sede_id, entity, entity_id, op, version, data, "
            "xid = pg_current_xact_id() FROM changes ORDER BY xid, id"
        ).fetchall()
        conn.rollback()
    return [(*row[:6], _clock_free(row[6]), row[7]) for row in rows]


def _per_entity(feed: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], list[tuple[Any, ...]]]:
    """Each entity's changes, in feed order: what a caja applying the feed ends up with."""
    out: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
    for row in feed:
        out.setdefault((row[1], row[2], row[3]), []).append(row)
    return out


def _migrate(database: DatabaseUrls, revision: str) -> None:
    engine = create_owner_engine(database.owner_url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
    engine.dispose()


def test_statement_triggers_write_what_row_triggers_wrote(database: DatabaseUrls) -> None:
    at_head = _feed_of_script(database, transfers=False)
    # Compared at 0004 itself: later migrations add columns (devices.caja_number, ...) that
    # a feed row's data carries and 0003's schema does not have.
    _migrate(database, "0004")
    per_statement = _feed_of_script(database, transfers=True)
    _migrate(database, "0003")
    per_row = _feed_of_script(database, transfers=True)
    assert len(per_row) > 25
    assert all(row[-1] for row in per_row), "every change carries its writer's xid"
    assert {(r[2], r[4]) for r in per_row} >= {
        ("transfers", "delete"),
        ("inventory", "upsert"),
        ("sales", "delete"),
    }
    assert sorted(per_statement, key=repr) == sorted(per_row, key=repr)
    assert _per_entity(per_statement) == _per_entity(per_row)
    # The one difference: an upsert's updated rows come before its inserted ones (distinct
    # rows: a statement cannot touch a row twice), where the per-row trigger interleaved.
    upsert = slice(12, 15)
    assert per_statement[: upsert.start] == per_row[: upsert.start]
    assert per_statement[upsert.stop :] == per_row[upsert.stop :]
    assert [r[3].split(":")[1] for r in per_statement[upsert]] == [str(P[1]), str(P[0]), str(P[2])]

    engine = create_owner_engine(database.owner_url)
    assert upgrade(engine, app_role=APP_ROLE, app_password=APP_PASSWORD).up_to_date
    engine.dispose()
    assert _feed_of_script(database, transfers=False) == at_head
