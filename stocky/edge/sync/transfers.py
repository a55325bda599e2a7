"""Pulled transfers between sedes and their lines (cloud wins: read-only at the caja).

The cloud feeds both tables to the cajas of both sedes. A transfer that is new here or whose
status changed leaves a row in transfer_notices, in the same write, for the screens' toast.
The stock itself moves through the ordinary movements and stock rows (stocky.edge.sync.runs).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from stocky.core.sync import Change
from stocky.edge.store.timestamps import from_iso
from stocky.edge.sync.conversions import Ctx, Outcome, blamed, change_data, milli, ts

# A transfer first seen here that was last touched longer ago than this (a caja activated
# after it, a re-pull) is history, not news: no toast.
NEWS_WINDOW = timedelta(hours=1)
# The notices kept: the screens only read the latest ones.
KEEP_NOTICES = 200


def _opt_ts(value: Any) -> str | None:
    return None if value is None else ts(value)


def _opt_id(value: Any) -> str | None:
    return None if value is None else str(value)


def _touches(ctx: Ctx, data: dict[str, Any]) -> bool:
    return ctx.sede_id in (str(data["from_sede_id"]), str(data["to_sede_id"]))


def _is_news(ctx: Ctx, before: str | None, status: str, updated_at: str) -> bool:
    if before is not None:
        return before != status
    return from_iso(ctx.now) - from_iso(updated_at) <= NEWS_WINDOW


def _transfer_row(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    requested_at = ts(data.get("requested_at") or data.get("created_at") or ctx.now)
    return {
        "id": str(data["id"]),
        "from_sede_id": str(data["from_sede_id"]),
        "to_sede_id": str(data["to_sede_id"]),
        "status": str(data["status"]),
        "note": data.get("note"),
        "reason": data.get("reason"),
        "failure_reason": data.get("failure_reason"),
        "failure_code": data.get("failure_code"),
        "shortages": None if data.get("shortages") is None else json.dumps(data["shortages"]),
        "requested_by": _opt_id(data.get("requested_by")),
        "requested_by_name": data.get("requested_by_name"),
        "decided_by_name": data.get("decided_by_name"),
        "requested_at": requested_at,
        "decided_by": _opt_id(data.get("decided_by")),
        "decided_at": _opt_ts(data.get("decided_at")),
        "completed_at": _opt_ts(data.get("completed_at")),
        "version": int(data.get("version") or 1),
        "created_at": ts(data.get("created_at") or requested_at),
        "updated_at": ts(data.get("updated_at") or ctx.now),
        "synced_at": ctx.now,
    }


_UPSERT_TRANSFER = """
    INSERT INTO transfers (id, from_sede_id, to_sede_id, status, note, reason, failure_reason,
        failure_code, shortages, requested_by, requested_by_name, requested_at, decided_by,
        decided_by_name, decided_at, completed_at, version, created_at, updated_at, synced_at)
    VALUES (:id, :from_sede_id, :to_sede_id, :status, :note, :reason, :failure_reason,
        :failure_code, :shortages, :requested_by, :requested_by_name, :requested_at,
        :decided_by, :decided_by_name, :decided_at, :completed_at, :version, :created_at,
        :updated_at, :synced_at)
    ON CONFLICT (id) DO UPDATE SET from_sede_id = excluded.from_sede_id,
        to_sede_id = excluded.to_sede_id, status = excluded.status, note = excluded.note,
        reason = excluded.reason, failure_reason = excluded.failure_reason,
        failure_code = excluded.failure_code, shortages = excluded.shortages,
        requested_by = excluded.requested_by, requested_by_name = excluded.requested_by_name,
        requested_at = excluded.requested_at, decided_by = excluded.decided_by,
        decided_by_name = excluded.decided_by_name, decided_at = excluded.decided_at,
        completed_at = excluded.completed_at, version = excluded.version,
        created_at = excluded.created_at, updated_at = excluded.updated_at,
        synced_at = excluded.synced_at
"""


def apply_transfer(ctx: Ctx, change: Change) -> Outcome:
    """Upsert (or delete) one transfer of this sede; note it when its status is news."""
    conn = ctx.conn
    if change.op == "delete":
        conn.execute("DELETE FROM transfer_lines WHERE transfer_id = ?", (change.entity_id,))
        conn.execute("DELETE FROM transfers WHERE id = ?", (change.entity_id,))
        return "applied"
    data = blamed(change, change_data, change)
    if not blamed(change, _touches, ctx, data):
        return "ignored"  # another pair of sedes: not this caja's business
    row = blamed(change, _transfer_row, ctx, data)
    found = conn.execute("SELECT status FROM transfers WHERE id = ?", (row["id"],)).fetchone()
    before = None if found is None else str(found[0])
    conn.execute(_UPSERT_TRANSFER, row)
    if _is_news(ctx, before, row["status"], row["updated_at"]):
        conn.execute(
            "INSERT INTO transfer_notices (transfer_id, status, noticed_at) VALUES (?, ?, ?)",
            (row["id"], row["status"], ctx.now),
        )
        conn.execute(
            "DELETE FROM transfer_notices WHERE seq <= (SELECT max(seq) FROM transfer_notices) - ?",
            (KEEP_NOTICES,),
        )
    return "applied"


def apply_transfer_line(ctx: Ctx, change: Change) -> Outcome:
    """Upsert (or delete) one line of a transfer of this sede."""
    if change.op == "delete":
        ctx.conn.execute("DELETE FROM transfer_lines WHERE id = ?", (change.entity_id,))
        return "applied"
    data = blamed(change, change_data, change)
    if not blamed(change, _touches, ctx, data):
        return "ignored"
    ctx.conn.execute(
        """
        INSERT INTO transfer_lines (id, transfer_id, product_id, quantity_milli)
        VALUES (?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET transfer_id = excluded.transfer_id,
            product_id = excluded.product_id, quantity_milli = excluded.quantity_milli
        """,
        (
            str(data["id"]),
            str(data["transfer_id"]),
            str(data["product_id"]),
            blamed(change, milli, data["quantity"]),
        ),
    )
    return "applied"
