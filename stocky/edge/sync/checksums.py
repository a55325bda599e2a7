"""Checking the caja's copy against the cloud's checksums, and repairing a table that differs.

The last page of a pull carries the checksum of each synced table at its cursor (see
stocky.core.sync.CHECKSUM_TABLES for what each row contributes). Right after that page is
applied, `compare_tables` computes the same sums over the local copy, in one read snapshot,
for the tables whose local rows should equal the cloud's: a table with pending local edits
or pulled rows held back for them (the write checkpoint) legitimately differs and is not
compared. A table that differs is re-fetched whole, page by page (`apply_refetch`, one store
write per page, through the same handlers as the feed, so pending ops are never clobbered),
and each divergence is counted in sync_state (shown by /local/api/status).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from stocky.core.sync import CHECKSUM_TABLES, RefetchResponse, table_checksum
from stocky.edge.outbox import PENDING_EDITS_SQL
from stocky.edge.sync.checkpoint import EDIT_KINDS, held_back
from stocky.edge.sync.entities import HANDLERS, RUN_HANDLERS, Ctx, Outcome
from stocky.edge.sync.state import get_state, set_state

STATE_DIVERGENCES = "checksum_divergences"
STATE_LAST_DIVERGENCE = "last_divergence_at"
STATE_LAST_TABLES = "last_divergence_tables"

# What each local row contributes: the cloud's values as pulled (for stock, the cloud's
# quantity, never the caja's own unconfirmed movements on top of it). Stock rows only the
# caja has (no cloud quantity yet) are not a copy of anything and stay out.
_ROWS: dict[str, str] = {
    "products": "SELECT id || ':' || version FROM products",
    "product_barcodes": "SELECT barcode || ':' || product_id FROM product_barcodes",
    "users": "SELECT id || ':' || version FROM users",
    "inventory": (
        "SELECT product_id || ':' || cloud_quantity_milli || ':' || min_milli || ':'"
        " || coalesce(max_milli, '') FROM inventory WHERE cloud_quantity_milli IS NOT NULL"
    ),
}


def local_checksum(conn: sqlite3.Connection, table: str) -> str:
    return table_checksum(row[0] for row in conn.execute(_ROWS[table]))


@dataclass
class Comparison:
    """The tables compared (the copy at the sums' cursor, no local edits) and which differ."""

    compared: list[str] = field(default_factory=list)
    diverged: list[str] = field(default_factory=list)


def compare_tables(
    conn: sqlite3.Connection, *, checksums: dict[str, str], cursor: str
) -> Comparison:
    """Compare the local sums of these tables with the cloud's at `cursor` (repair order).

    Compares nothing unless the stored cursor is still `cursor` (the copy is at the point
    the sums describe).
    """
    result = Comparison()
    if get_state(conn, "pull_cursor") != cursor:
        return result
    for table in CHECKSUM_TABLES:
        if table not in checksums or held_back(conn, table):
            continue
        result.compared.append(table)
        if local_checksum(conn, table) != checksums[table]:
            result.diverged.append(table)
    return result


def record_divergence(conn: sqlite3.Connection, tables: list[str], now: str) -> int:
    """Count the divergent tables in sync_state; returns the running total."""
    total = int(get_state(conn, STATE_DIVERGENCES) or 0) + len(tables)
    set_state(
        conn,
        **{
            STATE_DIVERGENCES: total,
            STATE_LAST_DIVERGENCE: now,
            STATE_LAST_TABLES: json.dumps(tables),
        },
    )
    return total


@dataclass
class RefetchStats:
    applied: int = 0
    deferred: int = 0
    removed: int = 0


def _key(table: str, change_entity_id: str, data: dict[str, object] | None) -> str:
    if table == "inventory":
        return str((data or {})["product_id"])
    return change_entity_id


_RANGE = "(:after IS NULL OR {key} > :after) AND (:upto IS NULL OR {key} <= :upto)"
_NOT_IN_PAGE = "{key} NOT IN (SELECT value FROM json_each(:keys))"
_NOT_PENDING = "{key} NOT IN (" + PENDING_EDITS_SQL + ")"


def _where(key: str, *, pending: bool) -> str:
    parts = [_RANGE, _NOT_IN_PAGE] + ([_NOT_PENDING] if pending else [])
    return " AND ".join(part.format(key=key) for part in parts)


# Rows of the page's key range the cloud does not have. A product a local movement names
# cannot be deleted (movements are append-only): it is deactivated instead. A stock row
# keeps the caja's own unconfirmed movements and forgets the cloud quantity it never had.
_SWEEPS: dict[str, list[str]] = {
    "products": [
        "UPDATE products SET active = 0 WHERE "
        + _where("id", pending=True)
        + " AND active = 1 AND EXISTS (SELECT 1 FROM transactions AS t"
        " WHERE t.product_id = products.id)",
        "DELETE FROM products WHERE "
        + _where("id", pending=True)
        + " AND NOT EXISTS (SELECT 1 FROM transactions AS t WHERE t.product_id = products.id)",
    ],
    "product_barcodes": ["DELETE FROM product_barcodes WHERE " + _where("barcode", pending=False)],
    "users": ["DELETE FROM users WHERE " + _where("id", pending=False)],
    "inventory": [
        """
        UPDATE inventory SET cloud_quantity_milli = NULL, cloud_position = NULL,
            quantity_milli = (SELECT coalesce(sum(t.quantity_milli), 0) FROM transactions AS t
                              WHERE t.product_id = inventory.product_id
                                    AND t.cloud_position IS NULL),
            updated_at = :now
        WHERE cloud_quantity_milli IS NOT NULL AND """
        + _where("product_id", pending=True)
    ],
}


def apply_refetch(
    conn: sqlite3.Connection,
    page: RefetchResponse,
    *,
    after: str | None,
    sede_id: str,
    now: str,
) -> RefetchStats:
    """Apply one re-fetch page in the caller's write: upsert its rows, then remove the local
    rows of its key range, (after, page.upto], that the cloud does not have.

    Rows go through the feed's handlers, so an entity with pending ops keeps its local row
    (the cloud's waits in pull_deferred) and is never swept.
    """
    stats = RefetchStats()
    ctx = Ctx(conn, sede_id, now)
    run = RUN_HANDLERS.get(page.table)
    outcomes: list[Outcome]
    if run is not None:
        outcomes = run(ctx, page.changes) if page.changes else []
    else:
        outcomes = [HANDLERS[page.table](ctx, change) for change in page.changes]
    stats.applied = outcomes.count("applied")
    stats.deferred = outcomes.count("deferred")
    keys = json.dumps([_key(page.table, c.entity_id, c.data) for c in page.changes])
    params = {
        "after": after,
        "upto": page.upto,
        "keys": keys,
        "kind": EDIT_KINDS.get(page.table),
        "now": now,
    }
    for statement in _SWEEPS[page.table]:
        stats.removed += conn.execute(statement, params).rowcount
    return stats
