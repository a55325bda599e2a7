"""The cloud's devices feed, kept as this caja's sede_devices: the sede's cajas that may
join its LAN (status, revoked_at) and their order of succession as master (lan_rank).

Only this sede's cajas are kept. A caja moved to another sede, or deleted, stays marked
`moved` or `deleted`, and a revoked one marked revoked: the LAN handshake
(stocky.edge.lan.authorize) refuses them by name from the next pull on, while a caja the
feed has not brought yet is trusted on its certificate.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from stocky.core.sync import Change
from stocky.edge.sync.conversions import ApplyError, Ctx, Outcome
from stocky.edge.sync.conversions import change_data as _data
from stocky.edge.sync.conversions import ts as _ts

# A caja the cloud numbered neither way waits behind every numbered one.
UNRANKED = 1_000_000


def _int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ApplyError(f"{value!r} is not a whole number")
    try:
        return int(value)
    except ValueError as exc:
        raise ApplyError(f"{value!r} is not a whole number") from exc


def lan_rank(data: dict[str, Any]) -> int:
    """The cloud's lan_rank, else the caja's number (activation order), as the cloud's own
    default."""
    for key in ("lan_rank", "caja_number"):
        value = _int(data.get(key))
        if value is not None:
            return value
    return UNRANKED


def upsert_device(conn: sqlite3.Connection, data: dict[str, Any], *, now: str) -> None:
    revoked_at = data.get("revoked_at")
    conn.execute(
        """
        INSERT INTO sede_devices (device_id, name, caja_number, lan_rank, status, revoked_at,
                                  updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (device_id) DO UPDATE SET name = excluded.name,
            caja_number = excluded.caja_number, lan_rank = excluded.lan_rank,
            status = excluded.status, revoked_at = excluded.revoked_at,
            updated_at = excluded.updated_at
        """,
        (
            str(data["id"]),
            str(data.get("name") or data["id"]),
            _int(data.get("caja_number")),
            lan_rank(data),
            str(data.get("status") or "active"),
            None if revoked_at is None else _ts(revoked_at),
            _ts(data.get("updated_at") or now),
        ),
    )


def _mark_gone(conn: sqlite3.Connection, device_id: str, status: str, now: str) -> bool:
    return (
        conn.execute(
            "UPDATE sede_devices SET status = ?, updated_at = ? WHERE device_id = ?",
            (status, now, device_id),
        ).rowcount
        > 0
    )


def apply_device(ctx: Ctx, change: Change) -> Outcome:
    if change.op == "delete":
        _mark_gone(ctx.conn, change.entity_id, "deleted", ctx.now)
        return "applied"
    data = _data(change)
    if str(data.get("sede_id")) != ctx.sede_id:
        # Moved to another sede: kept as moved, so its old certificate (naming this sede)
        # is refused; one never ours is not stored.
        return "applied" if _mark_gone(ctx.conn, str(data["id"]), "moved", ctx.now) else "ignored"
    upsert_device(ctx.conn, data, now=ctx.now)
    return "applied"
