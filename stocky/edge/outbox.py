"""The outbox and the local journal: what every local operation writes beside its rows.

`append_op` and `write_audit` take the connection of the running store.write, so the
operation, its audit row and its queue entry commit together or not at all.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from stocky.core.ids import new_id_str
from stocky.edge.store.timestamps import from_iso


def _dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def append_op(
    conn: sqlite3.Connection,
    *,
    kind: str,
    entity_id: str,
    payload: dict[str, Any],
    client_ts: str,
    base_version: int | None = None,
) -> str:
    """Queue one operation for the cloud; returns its op_id (the idempotency key)."""
    op_id = new_id_str()
    conn.execute(
        """
        INSERT INTO sync_queue (op_id, kind, entity_id, payload, base_version, client_ts,
                                created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        """,
        (op_id, kind, entity_id, _dumps(payload), base_version, client_ts, client_ts),
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
            (SELECT count(*) FROM sync_queue WHERE status = 'conflict') AS conflict
        """
    ).fetchone()
    return OutboxStats(row["pending"], row["oldest"], row["rejected"], row["conflict"])
