"""What an op recorded at another caja of the sede does to this caja's SQLite.

The master holds a slave's op in its own outbox (so the sale reaches the cloud even if the
slave's PC never comes back) and shows its stock effect at once; every other caja shows the
effect only. Both are idempotent by id: the op by its op_id, each movement by its own id (the
same ids the cloud will store), so a re-sent op, a broadcast that arrives twice, or a pull
that brought the movement first changes nothing. The stock shown stays `cloud quantity at
S + movements not yet included at S` (stocky.edge.sync.runs): a relayed movement is such a
movement until its cloud position arrives by pull.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast, get_args

from stocky.core.ops import OpPayloadError, TransactionDocument, parse_payload, payload_json
from stocky.core.sync import Operation, OpResult
from stocky.edge.inventory.repository import Movement, MovementType, insert_movements
from stocky.edge.store.timestamps import to_iso
from stocky.edge.sync.conversions import cents, milli

CAJA_MOVEMENTS = frozenset(get_args(MovementType))


@dataclass(frozen=True)
class Held:
    """The master's answer for one relayed op: new here, or what its outbox already knows."""

    op_id: str
    new: bool
    status: str  # the local outbox status: pending, synced, conflict, rejected
    result: OpResult | None


def _movements(document: TransactionDocument) -> list[Movement]:
    # A caja records sales, returns, entries and counts; transfers move stock in the cloud
    # only and reach the cajas by pull.
    return [
        Movement(
            id=str(m.id),
            type=cast(MovementType, m.type),
            product_id=str(m.product_id),
            quantity_milli=milli(m.quantity),
            unit_price_cents=cents(m.unit_price or 0),
            unit_cost_cents=None if m.unit_cost is None else cents(m.unit_cost),
            discount_cents=cents(m.discount),
            product_version=m.product_version,
            sale_id=None if m.sale_id is None else str(m.sale_id),
            ref_id=None if m.ref_id is None else str(m.ref_id),
            note=m.note,
        )
        for m in document.movements
        if m.type in CAJA_MOVEMENTS
    ]


def show_effect(conn: sqlite3.Connection, op: Operation) -> int:
    """Insert the op's movements this caja does not hold yet and add them to the stock
    shown; returns how many were new. Ops that move no stock show nothing here: their rows
    (a product edit, thresholds) reach this caja from the cloud, by pull."""
    if op.kind != TransactionDocument.KIND:
        return 0
    document = parse_payload(op.kind, op.payload)
    assert isinstance(document, TransactionDocument)
    movements = _movements(document)
    held = {
        row[0]
        for row in conn.execute(
            "SELECT id FROM transactions WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps([m.id for m in movements]),),
        )
    }
    new = [m for m in movements if m.id not in held]
    if new:
        insert_movements(
            conn,
            new,
            document_id=str(document.document_id),
            user_id=str(document.user_id or "lan"),
            client_ts=to_iso(op.client_ts),
        )
    return len(new)


def show_broadcast(conn: sqlite3.Connection, op: Operation, own_device_id: str) -> int:
    """A slave shows an op of another caja that its master broadcast (its own ops, and any
    it holds in its outbox, it shows already)."""
    if op.origin_device_id is not None and str(op.origin_device_id) == own_device_id:
        return 0
    held = conn.execute("SELECT 1 FROM sync_queue WHERE op_id = ?", (str(op.op_id),)).fetchone()
    if held is not None:
        return 0
    return show_effect(conn, op)


def _result(text: str | None) -> OpResult | None:
    if not text:
        return None
    data: Any = json.loads(text)
    return OpResult.model_validate(data) if isinstance(data, dict) and "op_id" in data else None


def hold_relayed(
    conn: sqlite3.Connection, ops: list[Operation], *, origin_device_id: str
) -> list[Held]:
    """The master takes a slave's ops into its outbox, in ONE store write: each op not held
    yet is queued as the origin's and its effect shown; one held already answers what the
    outbox knows of it (the cloud's result once the push has it)."""
    answers: list[Held] = []
    for op in ops:
        op_id = str(op.op_id)
        row = conn.execute(
            "SELECT status, result FROM sync_queue WHERE op_id = ?", (op_id,)
        ).fetchone()
        if row is not None:
            answers.append(Held(op_id, False, row[0], _result(row[1])))
            continue
        try:
            body = payload_json(parse_payload(op.kind, op.payload))
        except OpPayloadError as exc:
            # The slave checks its ops with the same code; this one came from elsewhere.
            refused = OpResult(
                op_id=op.op_id, status="rejected", server_ts=datetime.now(UTC), reason=str(exc)
            )
            answers.append(Held(op_id, False, "rejected", refused))
            continue
        client_ts = to_iso(op.client_ts)
        conn.execute(
            """
            INSERT INTO sync_queue (op_id, kind, entity_id, payload, base_version, client_ts,
                                    created_at, origin_device_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (
                op_id,
                op.kind,
                op.entity_id,
                json.dumps(body, separators=(",", ":"), ensure_ascii=False),
                op.base_version,
                client_ts,
                client_ts,
                origin_device_id,
            ),
        )
        show_effect(conn, op)
        answers.append(Held(op_id, True, "pending", None))
    return answers
