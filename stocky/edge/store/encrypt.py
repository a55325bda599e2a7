"""Encrypting an existing plain caja db in place: copy, verify, swap (`stocky edge encrypt`).

Crash-safe by order. The marker is written first, in state "migrating", with the new key
already stored, and openers then use whichever file is in place (plain header: plain). The
encrypted copy is built next to the db, verified and fsynced; one rename swaps it in (the
commit point); only then does the marker say "encrypted" and the plain file get scrubbed.
Killed at any step, the caja opens the old plain db or the new encrypted one, and running
the command again finishes the job.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, cast

from stocky.edge.store.cipher import (
    COMPATIBILITY,
    Cipher,
    Marker,
    apply_key,
    fsync_dir,
    is_plain_sqlite,
    load_cipher,
    new_cipher,
    read_marker,
    sqlcipher,
    write_marker,
)
from stocky.edge.store.errors import StoreError

# Tests kill the command at one of these (it exits at once, as a crash would).
CRASH_ENV: Final = "STOCKY_EDGE_ENCRYPT_CRASH_AT"
STEPS: Final = ("keyed", "exported", "verified", "linked", "swapped", "marked", "scrubbed")
_CHUNK: Final = 1 << 20


class EncryptError(StoreError):
    """The db cannot be encrypted now; the message says why, for a person."""


@dataclass(frozen=True, slots=True)
class Encrypted:
    key_source: str
    tables: int
    rows: int
    resumed: bool


def _crash_point(step: str) -> None:
    if os.environ.get(CRASH_ENV) == step:
        os._exit(70)


def in_use(db: Path) -> bool:
    """True while any process has the db open: SQLite holds a shared lock on the -shm file's
    dead-man-switch byte (offset 128) for as long as a WAL connection lives."""
    shm = db.with_name(db.name + "-shm")
    try:
        import fcntl
    except ImportError:  # Windows: an open db cannot be renamed over, so the swap fails safe
        return False
    try:
        fd = os.open(shm, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 128)
    except OSError:
        return True
    finally:
        os.close(fd)  # closing drops the probe lock too
    return False


def _refuse_if_in_use(db: Path) -> None:
    if in_use(db):
        raise EncryptError(
            f"{db} is open in another process (is the caja running?): stop it and try again"
        )


def _counts(conn: Any, schema: str) -> dict[str, int]:
    names = [
        row[0]
        for row in conn.execute(
            f"SELECT name FROM {schema}.sqlite_schema WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    return {
        name: conn.execute(f'SELECT count(*) FROM {schema}."{name}"').fetchone()[0]
        for name in names
    }


def _export(db: Path, target: Path, cipher: Cipher) -> dict[str, int]:
    """Copy the plain db into an encrypted `target`; return the plain db's row counts."""
    driver = sqlcipher()
    conn = driver.connect(str(db), isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        counts = _counts(conn, "main")
        version = conn.execute("PRAGMA main.user_version").fetchone()[0]
        conn.execute(f"ATTACH DATABASE ? AS enc KEY {cipher.key_literal()}", (str(target),))
        conn.execute(f"PRAGMA enc.cipher_compatibility = {COMPATIBILITY}")
        conn.execute("PRAGMA enc.auto_vacuum = INCREMENTAL")
        conn.execute("SELECT sqlcipher_export('enc')").fetchall()
        # sqlcipher_export copies schema and rows, not the header's schema version.
        conn.execute(f"PRAGMA enc.user_version = {int(version):d}")
        conn.execute("DETACH DATABASE enc")
    finally:
        conn.close()
    return counts


def _verify(db: Path, target: Path, cipher: Cipher, counts: dict[str, int]) -> None:
    driver = sqlcipher()
    conn = driver.connect(str(target), isolation_level=None)
    try:
        apply_key(cast(sqlite3.Connection, conn), cipher, target)
        check = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if check != ["ok"]:
            raise EncryptError(f"the encrypted copy of {db.name} fails integrity_check: {check}")
        copied = _counts(conn, "main")
        if copied != counts:
            differ = sorted(
                k for k in counts.keys() | copied.keys() if counts.get(k) != copied.get(k)
            )
            raise EncryptError(f"the encrypted copy of {db.name} differs in tables {differ}")
        conn.execute("PRAGMA journal_mode=WAL").fetchall()
    finally:
        conn.close()
    with target.open("rb+") as file:
        os.fsync(file.fileno())


def scrub(path: Path) -> None:
    """Overwrite a plaintext file with zeros, fsync, and unlink it.

    Best effort: the file system (journaling, copy-on-write, SSD wear levelling) may keep
    old blocks elsewhere; see docs/encryption.md.
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    with path.open("r+b") as file:
        zeros = bytes(_CHUNK)
        left = size
        while left > 0:
            step = min(left, _CHUNK)
            file.write(zeros[:step])
            left -= step
        file.flush()
        os.fsync(file.fileno())
    path.unlink()
    fsync_dir(path.parent)


def _finish(db: Path, marker: Marker, old: Path) -> None:
    write_marker(db, Marker(marker.store_id, marker.key_source, "encrypted"))
    _crash_point("marked")
    if old.exists() and not (db.exists() and os.path.samefile(db, old)):
        scrub(old)
    _crash_point("scrubbed")


def encrypt_in_place(db: Path, progress: Callable[[str], None] | None = None) -> Encrypted:
    """Encrypt the plain db at `db` in place (resuming a migration a crash interrupted)."""
    say = progress or (lambda _step: None)
    plain = is_plain_sqlite(db)
    if plain is None:
        raise EncryptError(f"there is no caja database at {db}")
    marker = read_marker(db)
    tmp = db.with_name(db.name + ".encrypting")
    old = db.with_name(db.name + ".plain-old")
    if marker is not None and marker.state == "encrypted" and not plain:
        if not old.exists():
            raise EncryptError(f"{db} is already encrypted")
        scrub(old)  # killed between the marker and the scrub: plaintext still on disk
        return Encrypted(marker.key_source, 0, 0, resumed=True)
    _refuse_if_in_use(db)
    if marker is not None and not plain:
        # Killed after the swap: the encrypted db is in place; finish the bookkeeping.
        load_cipher(db, marker)
        _finish(db, marker, old)
        return Encrypted(marker.key_source, 0, 0, resumed=True)
    resumed = marker is not None
    cipher = load_cipher(db, marker) if marker is not None else new_cipher(db, "migrating")
    _crash_point("keyed")
    for leftover in (tmp, tmp.with_name(tmp.name + "-journal")):
        leftover.unlink(missing_ok=True)
    if old.exists() and os.path.samefile(db, old):
        old.unlink()  # a second name of the live plain db, from a run killed before the swap
    elif old.exists():
        scrub(old)
    say("exporting")
    counts = _export(db, tmp, cipher)
    _crash_point("exported")
    say("verifying")
    _verify(db, tmp, cipher, counts)
    _crash_point("verified")
    _refuse_if_in_use(db)
    wal = db.with_name(db.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        # A plain WAL left beside the encrypted db would be replayed into it.
        raise EncryptError(f"{wal.name} still holds changes: open and close the caja, then retry")
    with contextlib.suppress(FileNotFoundError):
        wal.unlink()
    with contextlib.suppress(FileNotFoundError):
        db.with_name(db.name + "-shm").unlink()
    # The plain file keeps a second name until the swap has happened, then it is scrubbed.
    os.link(db, old)
    fsync_dir(db.parent)
    _crash_point("linked")
    say("swapping")
    os.replace(tmp, db)
    fsync_dir(db.parent)
    _crash_point("swapped")
    say("scrubbing")
    _finish(db, cipher.marker, old)
    return Encrypted(cipher.marker.key_source, len(counts), sum(counts.values()), resumed)
