"""Versioned migrations tracked by `PRAGMA user_version`, one transaction each."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

from stocky.edge.store.schema import MIGRATIONS


class MigrationError(RuntimeError):
    """The file cannot be brought to this code's schema (for example, it is newer)."""


def split_statements(script: str) -> Iterator[str]:
    """Yield the complete SQL statements of a script, trigger bodies kept whole."""
    buffer: list[str] = []
    for line in script.splitlines(keepends=True):
        buffer.append(line)
        statement = "".join(buffer)
        if sqlite3.complete_statement(statement):
            yield statement.strip()
            buffer.clear()
    rest = "".join(line for line in buffer if not line.lstrip().startswith("--"))
    if rest.strip():
        raise MigrationError(f"incomplete SQL statement at end of script: {rest.strip()[:80]!r}")


def schema_version(conn: sqlite3.Connection) -> int:
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    return version


def _snapshot_before(conn: sqlite3.Connection, current: int, target: int) -> None:
    """Snapshot a file that already holds a schema before changing it (issue 19 item 5)."""
    # The backup package opens its own connections from the store's helpers; imported here
    # because stocky.edge.store is still being imported when this module loads.
    from stocky.edge.backup.snapshot import DEFAULT_KEEP, BackupError, backups_dir, take_snapshot

    row = conn.execute("SELECT file FROM pragma_database_list WHERE name = 'main'").fetchone()
    if current == 0 or row is None or not row[0]:
        return  # a new file has nothing to lose, an in-memory one nothing to snapshot
    path = Path(row[0])
    try:
        take_snapshot(
            path, backups_dir(path.parent), reason=f"pre-migration-v{target}", keep=DEFAULT_KEEP
        )
    except BackupError as exc:
        raise MigrationError(
            f"not migrating {path} from schema {current} to {target}: the snapshot before it"
            f" failed ({exc})"
        ) from exc


def migrate(conn: sqlite3.Connection, migrations: Sequence[str] = MIGRATIONS) -> int:
    """Apply the migrations the file lacks, each in its own transaction; return the version.

    Statements run one by one rather than through executescript(), which would commit early;
    the version is read under BEGIN IMMEDIATE so two processes never apply the same step.
    """
    current = schema_version(conn)
    if current > len(migrations):
        raise MigrationError(
            f"database schema version {current} is newer than this code "
            f"({len(migrations)}); refusing to open it"
        )
    if current < len(migrations):
        _snapshot_before(conn, current, len(migrations))
    for version, script in enumerate(migrations, start=1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(conn) < version:
                for statement in split_statements(script):
                    conn.execute(statement)
                # user_version lives in the file header, so it commits with the step.
                conn.execute(f"PRAGMA user_version = {version:d}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return schema_version(conn)
