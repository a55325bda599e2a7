"""Put a snapshot in place of the caja's store and make the caja re-sync from there.

The snapshot is copied beside the store, fully checked, and renamed over it while this
process holds the data dir's single-instance lock (so no caja runs on it meanwhile). The
store it replaces is kept beside it. What the cloud received from this caja after the
snapshot comes back through the next pull; the outbox sequence is moved past those ops so
no seq is handed out twice. What the lost file made and never pushed cannot be known.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from stocky.edge.backup.cloud import BackupCloud, DeviceOps
from stocky.edge.backup.snapshot import BackupError, Contents, read_contents, verify_database
from stocky.edge.config import store_path
from stocky.edge.desktop.single_instance import AlreadyRunningError, InstanceLock
from stocky.edge.pos.repository import SALE_NUMBER_FLOOR
from stocky.edge.store.connection import connect_writer


@dataclass(frozen=True, slots=True)
class Restored:
    path: Path
    contents: Contents
    replaced: Path | None  # where the store that was there went
    cloud: DeviceOps | None  # None when the cloud could not be asked
    cloud_error: str | None

    @property
    def lacked(self) -> int | None:
        """Ops the cloud has from this caja that the snapshot does not."""
        return None if self.cloud is None else self.cloud.ops_after or 0


def _continue_after(staged: Path, seq: int | None, sale_number: int) -> None:
    """Move the outbox seq to `seq` and the receipt numbers past `sale_number`."""
    conn = connect_writer(staged)
    try:
        conn.execute("BEGIN IMMEDIATE")
        if seq is not None:
            conn.execute("DELETE FROM sqlite_sequence WHERE name = 'sync_queue'")
            conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('sync_queue', ?)", (seq,))
        # The cloud refuses a second sale with a number it holds from this caja.
        conn.execute(
            "INSERT INTO sync_state (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)",
            (SALE_NUMBER_FLOOR, sale_number),
        )
        conn.execute("COMMIT")
    finally:
        conn.close()


def _contents(staged: Path) -> Contents:
    conn = connect_writer(staged)
    try:
        return read_contents(conn)
    finally:
        conn.close()


def _ask_cloud(
    contents: Contents, cloud: BackupCloud | None
) -> tuple[DeviceOps | None, str | None]:
    owned = cloud is None
    if cloud is None:
        if not (contents.cloud_url and contents.device_credential):
            return None, "the snapshot holds no activation, so there is no cloud to ask"
        cloud = BackupCloud(contents.cloud_url, contents.device_credential)
    try:
        return cloud.device_ops(device_id=contents.device_id, after_op_id=contents.last_op_id), None
    except BackupError as exc:
        return None, str(exc)
    finally:
        if owned:
            cloud.close()


def _move_aside(live: Path) -> Path | None:
    if not live.exists():
        for side in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                live.with_name(live.name + side).unlink()
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = live.with_name(f"{live.name}.replaced-{stamp}")
    os.replace(live, aside)
    for side in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.replace(live.with_name(live.name + side), aside.with_name(aside.name + side))
    return aside


def restore_snapshot(
    data_dir: Path, snapshot: Path, *, cloud: BackupCloud | None = None
) -> Restored:
    """Restore `snapshot` as the store of `data_dir`; refuse while a caja runs on it.

    `cloud` answers for the caja's ops (an owner's session on a wiped machine); by default
    the restored caja's own credential and cloud address are used.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        lock = InstanceLock.acquire(data_dir)
    except AlreadyRunningError as exc:
        raise BackupError(
            f"a caja is running on {data_dir}; close it before restoring ({exc})"
        ) from exc
    with lock:
        live = store_path(data_dir)
        staged = data_dir / f".{live.name}.restoring"
        try:
            shutil.copyfile(snapshot, staged)
            verify_database(staged)
            contents = _contents(staged)
            ops, error = _ask_cloud(contents, cloud)
            if ops is not None:
                # The lost file gave seqs to the ops the cloud has past the snapshot: skip them.
                seq = contents.last_op_seq + ops.ops_after if ops.ops_after else None
                _continue_after(staged, seq, ops.last_sale_number)
            fd = os.open(staged, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            replaced = _move_aside(live)
            os.replace(staged, live)
        except BaseException:
            for leftover in (
                staged,
                *(staged.with_name(staged.name + s) for s in ("-wal", "-shm")),
            ):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
            raise
    return Restored(live, contents, replaced, ops, error)
