"""The engine's small persistent state in sync_state (read by /local/api/status)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any


def set_state(conn: sqlite3.Connection, **values: Any) -> None:
    conn.executemany(
        "INSERT INTO sync_state (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        list(values.items()),
    )


def get_state(conn: sqlite3.Connection, key: str) -> Any:
    row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
    return None if row is None else row[0]


def get_states(conn: sqlite3.Connection, keys: Sequence[str]) -> dict[str, Any]:
    """The stored values of these keys (a key never set is absent)."""
    marks = ", ".join("?" * len(keys))
    rows = conn.execute(f"SELECT key, value FROM sync_state WHERE key IN ({marks})", list(keys))
    return {row[0]: row[1] for row in rows}


def clear_state(conn: sqlite3.Connection) -> None:
    """Forget it all (a caja activated anew starts its feed and its counters from zero)."""
    conn.execute("DELETE FROM sync_state")
