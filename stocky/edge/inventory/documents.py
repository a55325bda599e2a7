"""One stock document (sale, return, entry, adjustment) = movements + audit row + one op."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from stocky.core.ops import TransactionDocument
from stocky.edge.inventory.repository import Movement, insert_movements
from stocky.edge.outbox import append_op, op_payload, write_audit

TRANSACTION_CREATE = TransactionDocument.KIND


def record_document(
    conn: sqlite3.Connection,
    *,
    doc_type: str,
    document_id: str,
    movements: Sequence[Movement],
    user_id: str,
    shift_id: str | None,
    client_ts: str,
    header: dict[str, Any] | None = None,
) -> str:
    """Write the movements, update inventory, audit, and queue the whole document as ONE op.

    Must run inside a store.write: the caller's other rows (the sale, its payments) commit
    with these or not at all. Returns the op_id.
    """
    payload = op_payload(
        TransactionDocument,
        {
            "type": doc_type,
            "document_id": document_id,
            **(header or {}),
            "movements": [m.payload() for m in movements],
            "user_id": user_id,
            "shift_id": shift_id,
            "client_ts": client_ts,
        },
    )
    insert_movements(conn, movements, document_id=document_id, user_id=user_id, client_ts=client_ts)
    # The audit row keeps the header and the size; the movements are in transactions already.
    write_audit(
        conn,
        user_id=user_id,
        action=f"{doc_type}.create",
        entity_type=doc_type,
        entity_id=document_id,
        ts=client_ts,
        after={**(header or {}), "movements": len(movements)},
    )
    return append_op(conn, entity_id=document_id, payload=payload, client_ts=client_ts)
