"""The write checkpoint: a pulled row never overwrites a local row that still has pending ops.

While an op of this caja edits a product or a stock row's thresholds, the cloud's copy of
that row waits in pull_deferred (`defer`); once the push worker has the op acknowledged,
`release` adopts the cloud's row. This module owns which op kind edits which table, and
the pull_deferred table; what is pending is asked of the outbox (stocky.edge.outbox).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from stocky.core.ops import ProductPayload, ThresholdsPayload
from stocky.core.sync import Cursor, CursorError
from stocky.edge import outbox
from stocky.edge.sync.conversions import Ctx, dumps, thresholds
from stocky.edge.sync.products import write_product

# The local op kind that edits each table the checkpoint protects, and the other way round.
EDIT_KINDS: dict[str, str] = {"products": ProductPayload.KIND, "inventory": ThresholdsPayload.KIND}
EDITED_TABLES: dict[str, str] = {kind: table for table, kind in EDIT_KINDS.items()}


def has_pending(conn: sqlite3.Connection, entity: str, entity_id: str) -> bool:
    """True while a local op still edits this row of `entity` (a protected table)."""
    return bool(pending_ids(conn, entity, [entity_id]))


def pending_ids(conn: sqlite3.Connection, entity: str, entity_ids: list[str]) -> set[str]:
    """Which of these entities have pending local ops (`has_pending` for many at once)."""
    return outbox.pending_edits(conn, EDIT_KINDS[entity], entity_ids)


def held_back(conn: sqlite3.Connection, table: str) -> bool:
    """True when local edits (pending, or their pulled rows held back) make the table differ
    from the cloud's copy."""
    kind = EDIT_KINDS.get(table)
    if kind is None:
        return False
    deferred = conn.execute(
        "SELECT 1 FROM pull_deferred WHERE entity = ? LIMIT 1", (table,)
    ).fetchone()
    return outbox.any_pending(conn, kind) or deferred is not None


_DEFER = """
    INSERT INTO pull_deferred (entity, entity_id, position, data, deferred_at)
    VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (entity, entity_id) DO UPDATE
    SET position = excluded.position, data = excluded.data, deferred_at = excluded.deferred_at
"""


def defer(ctx: Ctx, entity: str, rows: list[tuple[str, str, dict[str, Any]]]) -> None:
    """Keep pulled (entity_id, position, data) rows for later, in order: the last one wins."""
    ctx.conn.executemany(
        _DEFER,
        [(entity, entity_id, position, dumps(data), ctx.now) for entity_id, position, data in rows],
    )


def drop_all_deferred(conn: sqlite3.Connection) -> int:
    """Forget every held-back row (the cloud was reset: its rows come again); how many."""
    return conn.execute("DELETE FROM pull_deferred").rowcount


def _older_than_own_edit(
    conn: sqlite3.Connection, entity: str, entity_id: str, position: str
) -> bool:
    """True when the deferred row predates the cloud transaction that applied our last edit.

    Adopting it would show the pre-edit row until the next pull; the row that our edit wrote
    is further on in the feed and applies directly then. The push result's `position` is
    that transaction's xid, and positions are stocky.core.sync cursors (shared code).
    """
    applied_at = outbox.last_applied_position(conn, EDIT_KINDS[entity], entity_id)
    if applied_at is None:
        return False
    try:
        return Cursor.decode(position).xid < int(applied_at)
    except (CursorError, ValueError):
        return False  # not comparable: adopting the cloud's row is the safe default


def release_deferred(conn: sqlite3.Connection, entity: str, entity_id: str, now: str) -> bool:
    """Adopt the cloud's deferred row once no pending op edits it; True if it was applied.

    A deferred row older than the cloud's application of our own edit is dropped instead.
    """
    row = conn.execute(
        "SELECT position, data FROM pull_deferred WHERE entity = ? AND entity_id = ?",
        (entity, entity_id),
    ).fetchone()
    if row is None or has_pending(conn, entity, entity_id):
        return False
    conn.execute(
        "DELETE FROM pull_deferred WHERE entity = ? AND entity_id = ?", (entity, entity_id)
    )
    if _older_than_own_edit(conn, entity, entity_id, row[0]):
        return False
    data: dict[str, Any] = json.loads(row[1])
    if entity == "products":
        write_product(conn, data, now)
    else:
        # Only the thresholds waited: quantities were applied when they arrived.
        low, high = thresholds(data)
        conn.execute(
            "UPDATE inventory SET min_milli = ?, max_milli = ?, updated_at = ?"
            " WHERE product_id = ?",
            (low, high, now, entity_id),
        )
    return True


def release(conn: sqlite3.Connection, kind: str, entity_id: str, now: str) -> bool:
    """An op of `kind` on this entity was acknowledged: adopt what its edit held back."""
    table = EDITED_TABLES.get(kind)
    return table is not None and release_deferred(conn, table, entity_id, now)


def release_all_deferred(conn: sqlite3.Connection, now: str) -> int:
    """Release every deferred row whose entity has no pending op left; returns how many."""
    keys = conn.execute("SELECT entity, entity_id FROM pull_deferred").fetchall()
    return sum(release_deferred(conn, entity, entity_id, now) for entity, entity_id in keys)
