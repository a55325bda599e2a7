"""Applying a pulled page of the cloud's change feed to the caja's SQLite.

`apply_page` runs inside ONE `store.write(..., durable=False)`: every change of the page and
the new cursor commit together, so a crash never leaves a page half-applied nor the cursor
ahead of the data (a lost NORMAL commit is simply pulled again). The write checkpoint
(stocky.edge.sync.checkpoint) keeps a pulled row for an entity with pending local ops in
pull_deferred and releases it once those ops are acknowledged.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field

from stocky.core.money import AmountError
from stocky.core.sync import Change, PullResponse
from stocky.edge.outbox import requeue_acknowledged
from stocky.edge.store.connection import INTEGRITY_ERRORS
from stocky.edge.sync.checkpoint import drop_all_deferred
from stocky.edge.sync.entities import HANDLERS, RUN_HANDLERS, ApplyError, Ctx, Outcome
from stocky.edge.sync.state import get_states, set_state

# sqlite3's and sqlcipher3's integrity errors both: an encrypted caja's connections are the latter.
_BAD_CHANGE: tuple[type[Exception], ...] = (
    KeyError,
    TypeError,
    ValueError,
    AmountError,
    *INTEGRITY_ERRORS,
)

__all__ = ["ApplyError", "ApplyStats", "apply_changes", "apply_page", "pull_state"]

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
    stats.requeued_ops = requeue_acknowledged(conn)
    stats.dropped_deferred = drop_all_deferred(conn)


def apply_page(
    conn: sqlite3.Connection, page: PullResponse, *, sede_id: str, now: str
) -> ApplyStats:
    """Apply every change of the page in order and store its cursor, in the caller's write.

    Raises ApplyError on a malformed change; the caller's write then rolls everything back.
    """
    stats = ApplyStats()
    if page.reset:
        _reset(conn, stats)
    apply_changes(conn, page.changes, sede_id=sede_id, now=now, stats=stats)
    set_state(conn, **{STATE_CURSOR: page.cursor, STATE_EPOCH: page.epoch, STATE_LAST_PULL: now})
    return stats


def apply_changes(
    conn: sqlite3.Connection,
    changes: list[Change],
    *,
    sede_id: str,
    now: str,
    stats: ApplyStats | None = None,
) -> ApplyStats:
    """Apply these changes in order through the entities' handlers (a page's, or the data
    an activation answer carries), counting each outcome in `stats`.

    Consecutive products, stock rows or movements apply together (a few executemany for the
    run, with the outcome each would have one by one); other entities one change at a time.
    """
    stats = ApplyStats() if stats is None else stats
    ctx = Ctx(conn, sede_id, now)
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
            except INTEGRITY_ERRORS as exc:
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
    return stats


def _apply_one(ctx: Ctx, change: Change) -> Outcome:
    handler = HANDLERS.get(change.entity)
    if handler is None:
        return "ignored"
    try:
        return handler(ctx, change)
    except _BAD_CHANGE as exc:
        raise ApplyError(
            f"cannot apply {change.entity} {change.entity_id} at {change.position}: {exc}"
        ) from exc


def pull_state(conn: sqlite3.Connection) -> tuple[str | None, str | None]:
    """The stored (cursor, epoch), or (None, None) before the first pull."""
    state = get_states(conn, (STATE_CURSOR, STATE_EPOCH))
    return state.get(STATE_CURSOR), state.get(STATE_EPOCH)
