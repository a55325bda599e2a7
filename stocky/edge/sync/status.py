"""The caja's status: what monitors, the status bar and `stocky edge status` read.

It holds no business data, so GET /local/api/status needs no login. The sync engine and the
LAN node report through sync_state keys (see _STATE_KEYS); the outbox's numbers and lists
come from stocky.edge.outbox, which owns the queue.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from stocky.core.clock import DEFAULT_CLOCK_SKEW_THRESHOLD_S, clock_skewed
from stocky.edge.config import EdgeSettings
from stocky.edge.outbox import held_ops, outbox_stats, refused_ops
from stocky.edge.shifts.repository import open_shift_id
from stocky.edge.store import connect_reader
from stocky.edge.store.sede import load_sede_info
from stocky.edge.sync.state import get_states

REFUSED_LISTED = 50
_STATE_KEYS = (
    "online",
    "lan_role",
    "lan_epoch",
    "lan_master_device_id",
    "last_push_at",
    "last_push_error",
    "last_pull_at",
    "last_ping_at",
    "pull_cursor",
    "pull_epoch",
    "clock_offset_ms",
    "checksum_divergences",
    "last_divergence_at",
    "last_divergence_tables",
)


def caja_status(
    conn: sqlite3.Connection,
    *,
    now: datetime | None = None,
    clock_skew_threshold_s: float = DEFAULT_CLOCK_SKEW_THRESHOLD_S,
) -> dict[str, Any]:
    """The whole status; clock_skewed judges the last measured offset by the threshold
    (EdgeSettings.clock_skew_threshold_seconds, passed by whoever holds the settings)."""
    info = load_sede_info(conn)
    state = get_states(conn, _STATE_KEYS)
    stats = outbox_stats(conn)
    peers = [
        dict(row)
        for row in conn.execute(
            "SELECT device_id, address, port, rank, role, last_seen_at FROM lan_peers "
            "ORDER BY rank DESC"
        )
    ]
    # The cloud refused these for good: shown with the reason so a person can act on them.
    refused = [
        {
            "op_id": op.op_id,
            "kind": op.kind,
            "entity_id": op.entity_id,
            "status": op.status,
            "reason": op.last_error,
            "created_at": op.created_at,
            "synced_at": op.synced_at,
        }
        for op in refused_ops(conn, REFUSED_LISTED)
    ]
    # Still pending, but not moving: listed with why, so nothing waits unseen.
    held = held_ops(conn, REFUSED_LISTED)
    raw_offset = state.get("clock_offset_ms")
    offset = int(raw_offset) if raw_offset is not None else None
    skewed = clock_skewed(offset, clock_skew_threshold_s)
    return {
        "activated": info is not None,
        "sede": None
        if info is None
        else {
            "tenant_id": info.tenant_id,
            "tenant_name": info.tenant_name,
            "sede_id": info.sede_id,
            "sede_name": info.sede_name,
            "device_id": info.device_id,
            "device_name": info.device_name,
            "cloud_url": info.cloud_url,
        },
        "role": state.get("lan_role") or "standalone",
        "online": bool(state.get("online") or False),
        "pending_ops": stats.pending,
        "oldest_pending_at": stats.oldest_pending_at,
        "oldest_pending_age_seconds": stats.oldest_pending_age_seconds(now),
        "rejected_ops": stats.rejected,
        "conflict_ops": stats.conflict,
        "waiting_ops": stats.waiting,
        "stuck_ops": stats.stuck,
        "held_ops": held,
        "last_push_at": state.get("last_push_at"),
        "last_pull_at": state.get("last_pull_at"),
        "last_push_error": state.get("last_push_error"),
        "last_ping_at": state.get("last_ping_at"),
        "cursor": state.get("pull_cursor"),
        "epoch": state.get("pull_epoch"),
        "clock_offset_ms": offset,
        "clock_skewed": skewed,
        "clock_drift_warning": skewed,  # the older name, kept for monitors that read it
        "refused_ops": refused,
        # Tables whose copy differed from the cloud's checksums (each one re-fetched).
        "checksum_divergences": int(state.get("checksum_divergences") or 0),
        "last_divergence_at": state.get("last_divergence_at"),
        "last_divergence_tables": json.loads(state.get("last_divergence_tables") or "[]"),
        "lan_peers": peers,
        "lan": lan_status(conn, state),
        "shift_open": open_shift_id(conn) is not None,
    }


def lan_status(conn: sqlite3.Connection, state: dict[str, Any]) -> dict[str, Any]:
    """This caja's place on the sede's LAN, as the LAN node last wrote it: its role, the
    epoch of the master it follows, who that master is, and the peers it has heard from,
    named as the cloud's devices feed names them (sede_devices) so a person can tell them
    apart."""
    names = {
        str(row["device_id"]): str(row["name"])
        for row in conn.execute("SELECT device_id, name FROM sede_devices")
    }
    master = state.get("lan_master_device_id")
    epoch = state.get("lan_epoch")
    peers = [
        {**dict(row), "name": names.get(str(row["device_id"]))}
        for row in conn.execute(
            "SELECT device_id, address, port, rank, role, last_seen_at FROM lan_peers "
            "ORDER BY rank, device_id"
        )
    ]
    return {
        "role": state.get("lan_role") or "standalone",
        "epoch": int(epoch) if epoch is not None else None,
        "master_device_id": str(master) if master else None,
        "master_name": names.get(str(master)) if master else None,
        "peers": peers,
    }


def read_status(settings: EdgeSettings) -> dict[str, Any]:
    """The status JSON, read-only: safe while `stocky edge run` holds the file."""
    if not settings.store_path.exists():
        return {"activated": False, "data_dir": str(settings.data_dir)}
    conn = connect_reader(settings.store_path)
    try:
        conn.execute("BEGIN")  # one snapshot for every figure
        status = caja_status(conn, clock_skew_threshold_s=settings.clock_skew_threshold_seconds)
    finally:
        conn.close()
    return {**status, "data_dir": str(settings.data_dir)}


def status_json(settings: EdgeSettings) -> str:
    return json.dumps(read_status(settings), indent=2, default=str)
