"""SQLite connections for the caja's store: one writer, read-only readers."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Final, cast

from stocky.edge.store.cipher import CipherError, apply_key, ciphers_for, message, sqlcipher

BUSY_TIMEOUT_MS: Final = 5000


def _driver_errors(name: str) -> tuple[type[Exception], ...]:
    try:
        import sqlcipher3  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        return (getattr(sqlite3, name),)
    return getattr(sqlite3, name), getattr(sqlcipher3, name)


# An encrypted caja's connections are sqlcipher3's, whose exceptions are not sqlite3's:
# catch these instead of sqlite3.Error, sqlite3.IntegrityError, sqlite3.OperationalError.
SQLITE_ERRORS: Final = _driver_errors("Error")
INTEGRITY_ERRORS: Final = _driver_errors("IntegrityError")
OPERATIONAL_ERRORS: Final = _driver_errors("OperationalError")

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


def _open(path: Path, target: str, *, create: bool, **kwargs: Any) -> sqlite3.Connection:
    """A connection whose first statement is PRAGMA key when the file is encrypted."""
    ciphers = ciphers_for(path, create=create)
    if not ciphers:
        conn: sqlite3.Connection = sqlite3.connect(target, **kwargs)
        try:
            conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        except sqlite3.DatabaseError as exc:
            conn.close()
            if "not a database" in str(exc):
                # No marker and no plain header: an encrypted file whose marker went missing.
                raise CipherError(
                    message("no_marker", name=path.name, marker=path.name + ".cipher.json")
                ) from exc
            raise
        conn.row_factory = sqlite3.Row
        return conn
    driver = sqlcipher()
    for attempt, cipher in enumerate(ciphers, start=1):
        raw = driver.connect(target, **kwargs)
        try:
            apply_key(cast(sqlite3.Connection, raw), cipher, path)
        except CipherError:
            raw.close()
            if attempt == len(ciphers):
                raise
            continue
        except BaseException:
            raw.close()
            raise
        raw.row_factory = driver.Row
        return cast(sqlite3.Connection, raw)
    raise AssertionError("unreachable: ciphers is not empty")


def connect_writer(path: Path | str, *, check_same_thread: bool = True) -> sqlite3.Connection:
    """Open the read-write connection, creating the file with incremental auto-vacuum."""
    conn = _open(
        Path(path),
        str(path),
        create=True,
        isolation_level=None,
        check_same_thread=check_same_thread,
    )
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
    return conn


def connect_reader(path: Path | str) -> sqlite3.Connection:
    """Open a read-only connection (`mode=ro`); any write through it fails."""
    uri = Path(path).resolve().as_uri() + "?mode=ro"
    # Pooled readers are borrowed by whichever thread reads and closed by the one closing.
    conn = _open(
        Path(path), uri, create=False, uri=True, isolation_level=None, check_same_thread=False
    )
    try:
        _apply(conn, _COMMON_PRAGMAS)
    except BaseException:
        conn.close()
        raise
    return conn
