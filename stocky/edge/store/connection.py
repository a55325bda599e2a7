"""SQLite connections for the caja's store: one writer, read-only readers."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Final

BUSY_TIMEOUT_MS: Final = 5000

# Applied to every connection. journal_mode is persistent in the file, the rest per connection.
_COMMON_PRAGMAS: Final = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
)


def _apply(conn: sqlite3.Connection, pragmas: tuple[str, ...]) -> None:
    for pragma in pragmas:
        conn.execute(pragma).fetchall()


def connect_writer(path: Path | str, *, check_same_thread: bool = True) -> sqlite3.Connection:
    """Open the read-write connection, creating the file with incremental auto-vacuum."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=check_same_thread)
    try:
        # auto_vacuum only takes effect before the first table exists, and switching to WAL
        # first would write the header without it: keep this pragma ahead of journal_mode.
        _apply(conn, ("PRAGMA auto_vacuum=INCREMENTAL",))
        _apply(conn, _COMMON_PRAGMAS)
        # INSERT OR REPLACE must fire delete triggers, or the FTS index keeps ghost rows.
        _apply(conn, ("PRAGMA recursive_triggers=ON",))
    except BaseException:
        conn.close()
        raise
    conn.row_factory = sqlite3.Row
    return conn


def connect_reader(path: Path | str) -> sqlite3.Connection:
    """Open a read-only connection (`mode=ro`); any write through it fails."""
    uri = Path(path).resolve().as_uri() + "?mode=ro"
    # Pooled readers are borrowed by whichever thread reads and closed by the one closing.
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    try:
        _apply(conn, _COMMON_PRAGMAS)
    except BaseException:
        conn.close()
        raise
    conn.row_factory = sqlite3.Row
    return conn
