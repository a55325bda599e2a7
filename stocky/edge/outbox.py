"""The outbox and the local journal: what every local operation writes beside its rows.

`append_op` and `write_audit` take the connection of the running store.write, so the
operation, its audit row and its queue entry commit together or not at all. An op's payload
is built by its stocky.core.ops model, the one the cloud parses it with: what the cloud
would refuse for its shape or values fails here, before anything is confirmed.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from stocky.core.ids import new_id_str
from stocky.core.ops import OpPayload, OpPayloadError, first_error, payload_json
from stocky.core.sync import Operation
from stocky.edge.errors import FieldError
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
