"""Applying a pulled page of the cloud's change feed to the caja's SQLite.

`apply_page` runs inside ONE `store.write(..., durable=False)`: every change of the page and
the new cursor commit together, so a crash never leaves a page half-applied nor the cursor
ahead of the data (a lost NORMAL commit is simply pulled again). The write checkpoint keeps
a pulled row for an entity with pending local ops in pull_deferred; the push worker calls
`release_deferred` / `release_all_deferred` once those ops are acknowledged.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from stocky.core.money import AmountError
from stocky.core.sync import Change, Cursor, CursorError, PullResponse
from stocky.edge.sync.entities import (
    EDIT_KINDS,
    HANDLERS,
    RUN_HANDLERS,
    ApplyError,
    Ctx,
    Outcome,
    has_pending,
    thresholds,
    write_product,
)

__all__ = [
    "ApplyError",
    "ApplyStats",
    "apply_page",
    "pull_state",
    "release_all_deferred",
    "release_deferred",
]

STATE_CURSOR = "pull_cursor"
STATE_EPOCH = "pull_epoch"
STATE_LAST_PULL = "last_pull_at"


@dataclass
class ApplyStats:
    """What one page did, per entity; `reset` and its counters only when page.reset."""

    changes: int = 0
    applied: Counter[str] = field(default_factory=Counter)
    deferred: Counter[str] = field(default_factory=Counter)
    ignored: Counter[str] = field(default_factory=Counter)
    reset: bool = False
    requeued_ops: int = 0
    cleared_positions: int = 0
    dropped_deferred: int = 0


# Pages, resets and state --------------------------------------------------------------------


def _reset(conn: sqlite3.Connection, stats: ApplyStats) -> None:
    stats.reset = True
    stats.cleared_positions = conn.execute(
        # A movement the cloud refused stays out: it is not among what gets re-pushed.
        "UPDATE transactions SET cloud_position = NULL "
        "WHERE cloud_position IS NOT NULL AND cloud_position <> 'rejected'"
    ).rowcount
    # The cloud answers `duplicate` for the ops it still has and applies the ones it lost.
    stats.requeued_ops = conn.execute(
        """
        UPDATE sync_queue SET status = 'pending', attempts = 0, next_attempt_at = NULL,
                              last_error = NULL, synced_at = NULL
        WHERE status IN ('synced', 'conflict')
        """
    ).rowcount
    stats.dropped_deferred = conn.execute("DELETE FROM pull_deferred").rowcount


def _set_state(conn: sqlite3.Connection, values: dict[str, Any]) -> None:
    conn.executemany(
        "INSERT INTO sync_state (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        list(values.items()),
    )


def apply_page(
    conn: sqlite3.Connection, page: PullResponse, *, sede_id: str, now: str
) -> ApplyStats:
    """Apply every change of the page in order and store its cursor, in the caller's write.

    Consecutive products, stock rows or movements apply together (a few executemany for the
    run, with the outcome each would have one by one); other entities one change at a time.
    Raises ApplyError on a malformed change; the caller's write then rolls everything back.
    """
    stats = ApplyStats()
    if page.reset:
        _reset(conn, stats)
    ctx = Ctx(conn, sede_id, now)
    changes = page.changes
    start = 0
    while start < len(changes):
        entity = changes[start].entity
        end = start + 1
        run = RUN_HANDLERS.get(entity)
        if run is not None:
            while end < len(changes) and changes[end].entity == entity:
                end += 1
            try:
                outcomes = run(ctx, changes[start:end])
            except sqlite3.IntegrityError as exc:
                first, last = changes[start].position, changes[end - 1].position
                raise ApplyError(f"cannot apply {entity} from {first} to {last}: {exc}") from exc
        else:
            outcomes = [_apply_one(ctx, changes[start])]
        for outcome in outcomes:
            {"applied": stats.applied, "deferred": stats.deferred, "ignored": stats.ignored}[
                outcome
            ][entity] += 1
        stats.changes += end - start
        start = end
    _set_state(conn, {STATE_CURSOR: page.cursor, STATE_EPOCH: page.epoch, STATE_LAST_PULL: now})
    return stats


def _apply_one(ctx: Ctx, change: Change) -> Outcome:
    handler = HANDLERS.get(change.entity)
    if handler is None:
        return "ignored"
    try:
        return handler(ctx, change)
    except (KeyError, TypeError, ValueError, AmountError, sqlite3.IntegrityError) as exc:
        raise ApplyError(
            f"cannot apply {change.entity} {change.entity_id} at {change.position}: {exc}"
        ) from exc


def pull_state(conn: sqlite3.Connection) -> tuple[str | None, str | None]:
    """The stored (cursor, epoch), or (None, None) before the first pull."""
    rows = dict(
        conn.execute(
            "SELECT key, value FROM sync_state WHERE key IN (?, ?)", (STATE_CURSOR, STATE_EPOCH)
        ).fetchall()
    )
    return rows.get(STATE_CURSOR), rows.get(STATE_EPOCH)


def _older_than_own_edit(
    conn: sqlite3.Connection, entity: str, entity_id: str, position: str
) -> bool:
    """True when the deferred row predates the cloud transaction that applied our last edit.

    Adopting it would show the pre-edit row until the next pull; the row that our edit wrote
    is further on in the feed and applies directly then. The push result's `position` is
    that transaction's xid, and positions are stocky.core.sync cursors (shared code).
    """
    row = conn.execute(
        """
        SELECT json_extract(result, '$.position') FROM sync_queue
        WHERE entity_id = ? AND kind = ? AND status = 'synced'
              AND json_extract(result, '$.position') IS NOT NULL
        ORDER BY seq DESC LIMIT 1
        """,
        (entity_id, EDIT_KINDS[entity]),
    ).fetchone()
    if row is None:
        return False
    try:
        return Cursor.decode(position).xid < int(row[0])
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


def release_all_deferred(conn: sqlite3.Connection, now: str) -> int:
    """Release every deferred row whose entity has no pending op left; returns how many."""
    keys = conn.execute("SELECT entity, entity_id FROM pull_deferred").fetchall()
    return sum(release_deferred(conn, entity, entity_id, now) for entity, entity_id in keys)
