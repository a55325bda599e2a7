"""The engine's small persistent state in sync_state (read by /local/api/status)."""

from __future__ import annotations

import sqlite3
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
