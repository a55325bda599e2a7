"""Local snapshots of the caja's SQLite file, taken from the live database.

SQLite's online backup API copies the file a few pages at a time while the store keeps
writing (each step holds the read lock only briefly), into a hidden partial file that is
checked and renamed into place, so a snapshot either exists whole and verified or not at all.
Connections come from stocky.edge.store.connection so an encrypted store yields encrypted
snapshots with the same key.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from stocky.edge.store.connection import SQLITE_ERRORS, connect_reader, connect_writer
from stocky.edge.store.store import StoreError

SNAPSHOT_PREFIX: Final = "caja-"
BACKUPS_DIRNAME: Final = "backups"
# Kept locally when no setting says otherwise (the pre-migration snapshot, a manual one).
DEFAULT_KEEP: Final = 7
SNAPSHOT_SUFFIX: Final = ".db"
# Pages per backup step: 256 x 4 KiB = 1 MiB, short enough that the writer waits little.
STEP_PAGES: Final = 256
_STAMP_FORMAT: Final = "%Y%m%dT%H%M%S%fZ"
_NAME_RE: Final = re.compile(r"^caja-(?P<stamp>\d{8}T\d{12}Z)-(?P<reason>[a-z0-9][a-z0-9-]*)\.db$")
# What opening or reading a database can raise (the sqlcipher3 driver's errors included).
DB_ERRORS: Final[tuple[type[Exception], ...]] = (*SQLITE_ERRORS, StoreError)
_COPY_ERRORS: Final[tuple[type[Exception], ...]] = (OSError, *DB_ERRORS)
_REASON_RE: Final = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def backups_dir(data_dir: Path) -> Path:
    """Where a caja's local snapshots live inside its data dir."""
    return data_dir / BACKUPS_DIRNAME


class BackupError(RuntimeError):
    """A snapshot could not be taken or read; the message says why for the operator."""


class DiskFullError(BackupError):
    """No room for the snapshot; the database and the older snapshots are untouched."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    path: Path
    taken_at: datetime
    reason: str
    size: int

    @property
    def name(self) -> str:
        return self.path.name


def parse_snapshot_name(name: str) -> tuple[datetime, str] | None:
    """(taken_at, reason) of a snapshot file name, or None when it is not one of ours."""
    match = _NAME_RE.match(name)
    if match is None:
        return None
    try:
        taken_at = datetime.strptime(match["stamp"], _STAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None
    return taken_at, match["reason"]


def list_snapshots(backups_dir: Path) -> list[Snapshot]:
    """The finished snapshots in `backups_dir`, oldest first (partial files are skipped)."""
    if not backups_dir.is_dir():
        return []
    found: list[Snapshot] = []
    for entry in backups_dir.iterdir():
        parsed = parse_snapshot_name(entry.name)
        if parsed is None or not entry.is_file():
            continue
        found.append(Snapshot(entry, parsed[0], parsed[1], entry.stat().st_size))
    found.sort(key=lambda snap: (snap.taken_at, snap.name))
    return found


def _source_bytes(store_path: Path) -> int:
    total = store_path.stat().st_size
    wal = store_path.with_name(store_path.name + "-wal")
    if wal.exists():
        total += wal.stat().st_size
    return total


def _remove_partial(partial: Path) -> None:
    for leftover in (partial, *(partial.with_name(partial.name + s) for s in ("-journal", "-wal"))):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()


def _is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return True
    # SQLite reports ENOSPC as SQLITE_FULL ("database or disk is full").
    return isinstance(exc, SQLITE_ERRORS) and (
        getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "full" in str(exc)
    )


def _disk_full(backups_dir: Path, needed: int) -> DiskFullError:
    free = shutil.disk_usage(backups_dir).free
    return DiskFullError(
        f"not enough free space in {backups_dir} for a snapshot "
        f"(about {needed // 1024} KiB needed, {free // 1024} KiB free); "
        "the database and the older snapshots are untouched"
    )


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_database(store_path: Path, partial: Path) -> None:
    """Copy the live database at `store_path` into `partial` with the online backup API.

    The copy is switched to a rollback journal so the snapshot is one self-contained file,
    then quick-checked; any failure removes the partial file and raises.
    """
    source = connect_reader(store_path)
    try:
        target = connect_writer(partial)
        try:
            # A fresh WAL target would stage every page in its -wal first, doubling the space.
            target.execute("PRAGMA journal_mode=DELETE").fetchall()
            source.backup(target, pages=STEP_PAGES)
            target.execute("PRAGMA journal_mode=DELETE").fetchall()
            verdict = target.execute("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":
                raise BackupError(f"the snapshot failed its check: {verdict}")
        finally:
            target.close()
    except BaseException:
        _remove_partial(partial)
        raise
    finally:
        source.close()


def _prune(backups_dir: Path, keep: int) -> list[Path]:
    snapshots = list_snapshots(backups_dir)
    removed: list[Path] = []
    for snap in snapshots[: max(len(snapshots) - keep, 0)]:
        with contextlib.suppress(FileNotFoundError):
            snap.path.unlink()
        removed.append(snap.path)
    return removed


def _unique_name(backups_dir: Path, reason: str) -> str:
    now = datetime.now(UTC)
    while True:
        name = f"{SNAPSHOT_PREFIX}{now.strftime(_STAMP_FORMAT)}-{reason}{SNAPSHOT_SUFFIX}"
        if not (backups_dir / name).exists():
            return name
        now = now.replace(microsecond=(now.microsecond + 1) % 1_000_000)


def take_snapshot(store_path: Path, backups_dir: Path, *, reason: str, keep: int) -> Path:
    """Snapshot the live store into `backups_dir`, keep the newest `keep`, return the new file.

    Raises DiskFullError (the database and the older snapshots untouched) when there is no
    room, BackupError for anything else an operator must hear about.
    """
    if not _REASON_RE.match(reason):
        raise BackupError(f"reason {reason!r} must be lowercase letters, digits and dashes")
    if keep < 1:
        raise BackupError(f"keep must be at least 1, not {keep}")
    if not store_path.is_file():
        raise BackupError(f"there is no database at {store_path} to snapshot")
    try:
        backups_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if _is_disk_full(exc):
            raise _disk_full(backups_dir.parent, 0) from exc
        raise BackupError(f"cannot create the backups folder {backups_dir}: {exc}") from exc
    needed = _source_bytes(store_path)
    if shutil.disk_usage(backups_dir).free < needed:
        raise _disk_full(backups_dir, needed)
    name = _unique_name(backups_dir, reason)
    partial = backups_dir / f".{name}.partial"
    try:
        copy_database(store_path, partial)
        fd = os.open(partial, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        final = backups_dir / name
        os.replace(partial, final)
        _fsync_dir(backups_dir)
    except BackupError:
        raise
    except _COPY_ERRORS as exc:
        _remove_partial(partial)
        if _is_disk_full(exc):
            raise _disk_full(backups_dir, needed) from exc
        raise BackupError(f"the snapshot of {store_path} failed: {exc}") from exc
    _prune(backups_dir, keep)
    return final


def verify_database(path: Path) -> None:
    """Run the full integrity check on a database file; BackupError names what is wrong.

    It opens the file as the store would (read-write, switching it to WAL), so call it on
    the copy about to become the store, never on a kept snapshot whose sha256 is recorded.
    """
    if not path.is_file():
        raise BackupError(f"there is no database at {path}")
    try:
        conn = connect_writer(path)
    except DB_ERRORS as exc:
        raise BackupError(f"{path} is not a readable caja database: {exc}") from exc
    try:
        rows = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
    except DB_ERRORS as exc:
        raise BackupError(f"{path} is not a readable caja database: {exc}") from exc
    finally:
        conn.close()
    if rows != ["ok"]:
        raise BackupError(f"{path} failed its integrity check: {'; '.join(rows[:3])}")


@dataclass(frozen=True, slots=True)
class Contents:
    """What a snapshot holds of the caja's identity and its outbox."""

    tenant_id: str | None
    sede_id: str | None
    device_id: str | None
    device_credential: str | None
    cloud_url: str | None
    last_op_seq: int
    last_op_id: str | None
    ops: int


def read_contents(conn: sqlite3.Connection) -> Contents:
    """The caja's identity and newest outbox entry, from an open store connection."""
    ident = conn.execute(
        "SELECT tenant_id, sede_id, device_id, device_credential, cloud_url FROM sede_info"
        " WHERE id = 1"
    ).fetchone()
    last = conn.execute("SELECT seq, op_id FROM sync_queue ORDER BY seq DESC LIMIT 1").fetchone()
    ops = conn.execute("SELECT count(*) FROM sync_queue").fetchone()[0]
    # AUTOINCREMENT's high-water mark outlives deleted outbox rows.
    high = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'sync_queue'").fetchone()
    seq = max(int(high[0]) if high else 0, int(last[0]) if last else 0)
    tenant_id, sede_id, device_id, credential, cloud_url = (
        tuple(ident) if ident else (None, None, None, None, None)
    )
    return Contents(
        tenant_id=tenant_id,
        sede_id=sede_id,
        device_id=device_id,
        device_credential=credential,
        cloud_url=cloud_url,
        last_op_seq=seq,
        last_op_id=last[1] if last else None,
        ops=int(ops),
    )


def snapshot_contents(path: Path) -> Contents:
    """read_contents of a snapshot file, read from a scratch copy so the file (and the sha256
    recorded for it) stays byte for byte as taken."""
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".read-") as scratch:
        copy = Path(scratch) / "copy.db"
        shutil.copyfile(path, copy)
        try:
            conn = connect_writer(copy)
        except DB_ERRORS as exc:
            raise BackupError(f"{path} is not a readable caja database: {exc}") from exc
        try:
            return read_contents(conn)
        except DB_ERRORS as exc:
            raise BackupError(f"{path} is not a caja database: {exc}") from exc
        finally:
            conn.close()
