"""What a caja knows of its sede's other cajas on the LAN: their place in line (from the
devices feed), the peers its probes saw, and a probe's answer read as a PeerView."""

from __future__ import annotations

import sqlite3
from typing import Any

from stocky.edge.lan import protocol as p
from stocky.edge.lan.election import PeerView


def rank_of(conn: sqlite3.Connection, device_id: str) -> int:
    row = conn.execute(
        "SELECT lan_rank FROM sede_devices WHERE device_id = ?", (device_id,)
    ).fetchone()
    return int(row[0]) if row is not None else 1_000_000


def ranked_ahead(conn: sqlite3.Connection, device_id: str, rank: int) -> list[str]:
    """The sede's active cajas ahead of this one in line (rank, then device id)."""
    rows = conn.execute(
        "SELECT device_id FROM sede_devices WHERE status = 'active' AND device_id <> ? "
        "AND (lan_rank < ? OR (lan_rank = ? AND device_id < ?))",
        (device_id, rank, rank, device_id),
    ).fetchall()
    return [str(row[0]) for row in rows]


def other_cajas(conn: sqlite3.Connection, device_id: str) -> int:
    row = conn.execute(
        "SELECT count(*) FROM sede_devices WHERE status = 'active' AND device_id <> ?",
        (device_id,),
    ).fetchone()
    return int(row[0])


def record_peers(conn: sqlite3.Connection, views: list[PeerView], now: str) -> None:
    conn.executemany(
        """
        INSERT INTO lan_peers (device_id, address, port, rank, last_seen_at, role)
        VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (device_id) DO UPDATE SET address = excluded.address,
            port = excluded.port, rank = excluded.rank, last_seen_at = excluded.last_seen_at,
            role = excluded.role
        """,
        [
            (
                v.device_id,
                v.address[0] if v.address else "",
                v.address[1] if v.address else 1,
                v.rank,
                now,
                v.role if v.role in ("master", "slave") else "unknown",
            )
            for v in views
        ],
    )


def view_of(answer: dict[str, Any], address: tuple[str, int]) -> PeerView | None:
    if answer.get("t") != p.WELCOME:
        return None
    role = answer.get("role")
    if role not in ("standalone", "electing", "master", "slave"):
        return None
    try:
        return PeerView(
            device_id=str(answer["device_id"]),
            rank=int(answer["rank"]),
            role=role,
            epoch=p.epoch_of(answer),
            address=address,
            master_device_id=answer.get("master_device_id"),
        )
    except (KeyError, TypeError, ValueError):
        return None
