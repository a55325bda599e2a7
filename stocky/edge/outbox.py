"""The outbox and the local journal: what every local operation writes beside its rows.

`append_op` and `write_audit` take the connection of the running store.write, so the
operation, its audit row and its queue entry commit together or not at all. An op's payload
is built by its stocky.core.ops model, the one the cloud parses it with: what the cloud
would refuse for its shape or values fails here, before anything is confirmed.

This module owns every statement on `sync_queue`: the push worker's batches and results,
the write checkpoint's "does an op still edit this row", the status and the sync screen's
lists all call the functions below instead of writing their own SQL on the queue.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from stocky.core.errors import FieldError
from stocky.core.ids import new_id_str
from stocky.core.ops import OpPayload, OpPayloadError, first_error, payload_json
from stocky.core.sync import Operation
from stocky.edge.store.timestamps import from_iso

# Attempts after which an op that keeps failing for a transient reason (the cloud down, a
# refused batch) is shown as stuck in the status and the sync screen.
STUCK_ATTEMPTS = 8


def _dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def op_payload(model: type[OpPayload], data: dict[str, Any]) -> OpPayload:
    """The payload as its kind's model; a value the cloud could not take is a 422 here."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problem = first_error(exc, "op")
        raise FieldError(problem.field, problem.message) from exc


def append_op(
    conn: sqlite3.Connection,
    *,
    entity_id: str,
    payload: OpPayload,
    client_ts: str,
    base_version: int | None = None,
) -> str:
    """Queue one operation for the cloud; returns its op_id (the idempotency key).

    The envelope is checked with the cloud's own model too, so the queue never holds an op
    the push endpoint would refuse whole.
    """
    op_id = new_id_str()
    body = payload_json(payload)
    try:
        Operation.model_validate(
            {
                "op_id": op_id,
                "kind": payload.KIND,
                "entity_id": entity_id,
                "payload": body,
                "base_version": base_version,
                "client_ts": client_ts,
            }
        )
    except ValidationError as exc:
        problem = first_error(exc, "op")
        raise FieldError(problem.field, problem.message) from exc
    except OpPayloadError as exc:  # pragma: no cover - the model already checked it
        raise FieldError(exc.field, exc.message) from exc
    conn.execute(
        """
        INSERT INTO sync_queue (op_id, kind, entity_id, payload, base_version, client_ts,
                                created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        """,
        (op_id, payload.KIND, entity_id, _dumps(body), base_version, client_ts, client_ts),
    )
    return op_id


def write_audit(
    conn: sqlite3.Connection,
    *,
    user_id: str | None,
    action: str,
    entity_type: str,
    entity_id: str | None,
    ts: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    conn.execute(
        """
        INSERT INTO audit_logs (id, user_id, action, entity_type, entity_id, before_data,
                                after_data, ts)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        """,
        (
            new_id_str(),
            user_id,
            action,
            entity_type,
            entity_id,
            None if before is None else _dumps(before),
            None if after is None else _dumps(after),
            ts,
        ),
    )


@dataclass(frozen=True, slots=True)
class OutboxStats:
    pending: int
    oldest_pending_at: str | None
    rejected: int
    conflict: int
    # Pending ops the cloud deferred (a return waiting for its sale) and ones that failed
    # STUCK_ATTEMPTS times or more: both are shown, never retried silently for ever.
    waiting: int = 0
    stuck: int = 0

    def oldest_pending_age_seconds(self, now: datetime | None = None) -> float | None:
        if self.oldest_pending_at is None:
            return None
        age = (now or datetime.now(UTC)) - from_iso(self.oldest_pending_at)
        return max(age.total_seconds(), 0.0)


def outbox_stats(conn: sqlite3.Connection) -> OutboxStats:
    """Pending count, the oldest pending op's time, and ops the cloud refused."""
    row = conn.execute(
        """
        SELECT
            (SELECT count(*) FROM sync_queue WHERE status = 'pending') AS pending,
            (SELECT created_at FROM sync_queue WHERE status = 'pending'
             ORDER BY seq LIMIT 1) AS oldest,
            (SELECT count(*) FROM sync_queue WHERE status = 'rejected') AS rejected,
            (SELECT count(*) FROM sync_queue WHERE status = 'conflict') AS conflict,
            (SELECT count(*) FROM sync_queue WHERE status = 'pending'
             AND json_extract(result, '$.status') = 'deferred') AS waiting,
            (SELECT count(*) FROM sync_queue WHERE status = 'pending'
             AND attempts >= :stuck) AS stuck
        """,
        {"stuck": STUCK_ATTEMPTS},
    ).fetchone()
    return OutboxStats(
        row["pending"],
        row["oldest"],
        row["rejected"],
        row["conflict"],
        row["waiting"],
        row["stuck"],
    )


def pending_count(conn: sqlite3.Connection) -> int:
    """Ops not yet acknowledged by the cloud (what a logout or re-activation would lose)."""
    row = conn.execute("SELECT count(*) FROM sync_queue WHERE status = 'pending'").fetchone()
    return int(row[0])


# Listing what needs a person ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RefusedOp:
    """An op the cloud refused (rejected) or overruled (conflict), for good."""

    seq: int
    op_id: str
    kind: str
    entity_id: str
    status: str
    client_ts: str
    created_at: str
    synced_at: str | None
    last_error: str | None
    result_reason: str | None

    @property
    def reason(self) -> str:
        """The cloud's own words when its answer carried a reason, else the last error."""
        return self.result_reason or self.last_error or ""


def refused_ops(conn: sqlite3.Connection, limit: int) -> list[RefusedOp]:
    """Refused ops, newest first."""
    rows = conn.execute(
        """
        SELECT seq, op_id, kind, entity_id, status, client_ts, created_at, synced_at,
               last_error, result FROM sync_queue
        WHERE status IN ('rejected', 'conflict') ORDER BY seq DESC LIMIT ?
        """,
        (limit,),
    ).fetchall()
    return [
        RefusedOp(
            seq=row["seq"],
            op_id=row["op_id"],
            kind=row["kind"],
            entity_id=row["entity_id"],
            status=row["status"],
            client_ts=row["client_ts"],
            created_at=row["created_at"],
            synced_at=row["synced_at"],
            last_error=row["last_error"],
            result_reason=_result_reason(row["result"]),
        )
        for row in rows
    ]


def _result_reason(result: str | None) -> str | None:
    if not result:
        return None
    data = json.loads(result)
    if isinstance(data, dict) and data.get("reason"):
        return str(data["reason"])
    return None


def held_ops(conn: sqlite3.Connection, limit: int) -> list[dict[str, Any]]:
    """Pending ops that are not moving: deferred by the cloud (a return waiting for its
    sale) or failed STUCK_ATTEMPTS times; oldest first, with why."""
    return [
        dict(row)
        for row in conn.execute(
            "SELECT op_id, kind, entity_id, attempts, last_error AS reason, "
            "json_extract(result, '$.status') IS 'deferred' AS waiting, next_attempt_at, "
            "created_at FROM sync_queue WHERE status = 'pending' "
            "AND (json_extract(result, '$.status') IS 'deferred' OR attempts >= ?) "
            "ORDER BY seq LIMIT ?",
            (STUCK_ATTEMPTS, limit),
        )
    ]


# The push worker's side --------------------------------------------------------------------


@dataclass(frozen=True)
class QueuedOp:
    seq: int
    op_id: str
    kind: str
    entity_id: str
    payload: str
    base_version: int | None
    client_ts: str
    attempts: int
    next_attempt_at: str | None
    # The caja of the sede that recorded it, when this caja holds it as LAN master.
    origin_device_id: str | None = None


def next_batch(conn: sqlite3.Connection, limit: int, now: str) -> list[QueuedOp]:
    """Pending ops in queue order, leaving out deferred ones whose own retry time has not
    come (they wait for something else to reach the cloud, so they hold up nothing)."""
    rows = conn.execute(
        """
        SELECT seq, op_id, kind, entity_id, payload, base_version, client_ts, attempts,
               next_attempt_at, origin_device_id
        FROM sync_queue
        WHERE status = 'pending'
          AND NOT (json_extract(result, '$.status') IS 'deferred' AND next_attempt_at > ?)
        ORDER BY seq LIMIT ?
        """,
        (now, limit),
    ).fetchall()
    return [QueuedOp(*row) for row in rows]


def unrelayed(conn: sqlite3.Connection, epoch: int, limit: int) -> list[QueuedOp]:
    """A LAN slave's pending ops not yet handed to the master of this epoch, in queue order:
    its own, and any it held as an earlier master for other cajas (after a failover, all of
    them: the new master takes them idempotently)."""
    rows = conn.execute(
        """
        SELECT seq, op_id, kind, entity_id, payload, base_version, client_ts, attempts,
               next_attempt_at, origin_device_id
        FROM sync_queue
        WHERE status = 'pending' AND lan_relayed_epoch IS NOT ?
        ORDER BY seq LIMIT ?
        """,
        (epoch, limit),
    ).fetchall()
    return [QueuedOp(*row) for row in rows]


def forget_relayed(conn: sqlite3.Connection) -> None:
    """A slave joins a master: every pending op goes to it again (it answers the cloud's
    result for those it already has, so none waits on a result message that was lost)."""
    conn.execute(
        "UPDATE sync_queue SET lan_relayed_epoch = NULL "
        "WHERE status = 'pending' AND lan_relayed_epoch IS NOT NULL"
    )


def hand_over(
    conn: sqlite3.Connection, op_ids: Iterable[str], *, master_device_id: str, epoch: int, now: str
) -> None:
    """Ops this caja held for other cajas as an earlier master are now held by the master
    of `epoch` (and still by the cajas that recorded them): this caja is done with them."""
    result = json.dumps({"handed_over_to": master_device_id, "epoch": epoch})
    conn.executemany(
        "UPDATE sync_queue SET status = 'synced', result = ?, synced_at = ?, "
        "next_attempt_at = NULL WHERE op_id = ? AND status = 'pending' "
        "AND origin_device_id IS NOT NULL",
        [(result, now, op_id) for op_id in op_ids],
    )


def mark_relayed(conn: sqlite3.Connection, op_ids: Iterable[str], epoch: int) -> None:
    """The master of `epoch` holds these ops: not sent to it again (still pending here
    until it reports the cloud's answer)."""
    conn.executemany(
        "UPDATE sync_queue SET lan_relayed_epoch = ? WHERE op_id = ? AND status = 'pending'",
        [(epoch, op_id) for op_id in op_ids],
    )


def last_seq(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT coalesce(max(seq), 0) FROM sync_queue").fetchone()
    return int(row[0])


def ops_after(
    conn: sqlite3.Connection, seq: int, *, pending: bool, limit: int = 2000
) -> list[QueuedOp]:
    """Ops queued after `seq`, in order: what a LAN master broadcasts (any it has not
    refused, `pending` False) or what a joining slave has not seen in the cloud yet."""
    rows = conn.execute(
        f"""
        SELECT seq, op_id, kind, entity_id, payload, base_version, client_ts, attempts,
               next_attempt_at, origin_device_id
        FROM sync_queue
        WHERE seq > ? AND {"status = 'pending'" if pending else "status <> 'rejected'"}
        ORDER BY seq LIMIT ?
        """,
        (seq, limit),
    ).fetchall()
    return [QueuedOp(*row) for row in rows]


def queued_ops(conn: sqlite3.Connection, op_ids: Iterable[str]) -> dict[str, QueuedOp]:
    """These ops as the push worker reads them, by op_id (the ones this caja holds)."""
    rows = conn.execute(
        """
        SELECT seq, op_id, kind, entity_id, payload, base_version, client_ts, attempts,
               next_attempt_at, origin_device_id
        FROM sync_queue WHERE op_id IN (SELECT value FROM json_each(?))
        """,
        (json.dumps(list(op_ids)),),
    ).fetchall()
    return {row[1]: QueuedOp(*row) for row in rows}


def next_deferred_due(conn: sqlite3.Connection) -> str | None:
    """When the first op the cloud deferred is due again, if any."""
    row = conn.execute(
        "SELECT min(next_attempt_at) FROM sync_queue WHERE status = 'pending' "
        "AND json_extract(result, '$.status') IS 'deferred'"
    ).fetchone()
    return None if row is None else row[0]


def mark_deferred(
    conn: sqlite3.Connection,
    op_id: str,
    *,
    attempts: int,
    retry_at: str,
    result: str,
    reason: str | None,
) -> None:
    """The cloud deferred this op: it stays pending until its own retry time."""
    conn.execute(
        "UPDATE sync_queue SET attempts = ?, next_attempt_at = ?, result = ?, last_error = ? "
        "WHERE op_id = ?",
        (attempts, retry_at, result, reason, op_id),
    )


def mark_result(
    conn: sqlite3.Connection,
    op_id: str,
    *,
    status: str,
    result: str,
    synced_at: str,
    reason: str | None,
) -> None:
    """Record the cloud's final answer for an op (synced, conflict or rejected)."""
    conn.execute(
        """
        UPDATE sync_queue SET status = ?, result = ?, synced_at = ?, last_error = ?,
               next_attempt_at = NULL
        WHERE op_id = ?
        """,
        (status, result, synced_at, reason, op_id),
    )


def reject_locally(conn: sqlite3.Connection, seq: int, reason: str, now: str) -> None:
    """An op the cloud can never take (the caja wrote it wrong, or it refused it alone)."""
    conn.execute(
        "UPDATE sync_queue SET status = 'rejected', last_error = ?, synced_at = ? WHERE seq = ?",
        (reason, now, seq),
    )


def back_off(conn: sqlite3.Connection, seqs: Iterable[int], retry_at: str, error: str) -> None:
    """A batch failed for a transient reason: count the attempt, wait until retry_at."""
    conn.executemany(
        "UPDATE sync_queue SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? "
        "WHERE seq = ? AND status = 'pending'",
        [(retry_at, error, seq) for seq in seqs],
    )


def clear_backoff(conn: sqlite3.Connection) -> None:
    """The cloud is reachable again: every pending op may go at once."""
    conn.execute(
        "UPDATE sync_queue SET next_attempt_at = NULL "
        "WHERE status = 'pending' AND next_attempt_at IS NOT NULL"
    )


def requeue_acknowledged(conn: sqlite3.Connection) -> int:
    """The cloud was reset: send again every op it had acknowledged; returns how many.

    It answers `duplicate` for the ops it still has and applies the ones it lost.
    """
    return conn.execute(
        """
        UPDATE sync_queue SET status = 'pending', attempts = 0, next_attempt_at = NULL,
                              last_error = NULL, synced_at = NULL
        WHERE status IN ('synced', 'conflict')
        """
    ).rowcount


# The write checkpoint's side (see stocky.edge.sync.checkpoint) -----------------------------

# Entity ids a pending op of kind :kind edits, as a subquery for statements on other tables.
PENDING_EDITS_SQL = "SELECT entity_id FROM sync_queue WHERE status = 'pending' AND kind = :kind"


def pending_edits(conn: sqlite3.Connection, kind: str, entity_ids: list[str]) -> set[str]:
    """Which of these entities a pending op of `kind` still edits."""
    if not entity_ids:
        return set()
    rows = conn.execute(
        "SELECT DISTINCT entity_id FROM sync_queue WHERE status = 'pending' AND kind = ?"
        " AND entity_id IN (SELECT value FROM json_each(?))",
        (kind, json.dumps(entity_ids)),
    )
    return {row[0] for row in rows}


def any_pending(conn: sqlite3.Connection, kind: str) -> bool:
    """True while any op of `kind` is pending."""
    row = conn.execute(
        "SELECT 1 FROM sync_queue WHERE status = 'pending' AND kind = ? LIMIT 1", (kind,)
    ).fetchone()
    return row is not None


def last_applied_position(conn: sqlite3.Connection, kind: str, entity_id: str) -> Any:
    """The cloud transaction (xid, as the push result holds it) that applied our last
    acknowledged edit of this entity; None when there is none."""
    row = conn.execute(
        """
        SELECT json_extract(result, '$.position') FROM sync_queue
        WHERE entity_id = ? AND kind = ? AND status = 'synced'
              AND json_extract(result, '$.position') IS NOT NULL
        ORDER BY seq DESC LIMIT 1
        """,
        (entity_id, kind),
    ).fetchone()
    return None if row is None else row[0]
