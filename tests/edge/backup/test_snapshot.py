from __future__ import annotations

import contextlib
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from stocky.edge.backup.snapshot import (
    BackupError,
    DiskFullError,
    copy_database,
    list_snapshots,
    take_snapshot,
    verify_database,
)
from stocky.edge.store import Store
from tests.edge.store.factories import open_store


def _fill(store: Store, rows: int, start: int = 0) -> None:
    def fn(conn: sqlite3.Connection) -> None:
        conn.executemany(
            "INSERT INTO sync_state (key, value) VALUES (?, ?)",
            ((f"k{i}", "x" * 200) for i in range(start, start + rows)),
        )

    store.write(fn)


def _keys(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        count: int = conn.execute("SELECT count(*) FROM sync_state WHERE key LIKE 'k%'").fetchone()[
            0
        ]
        return count
    finally:
        conn.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path)
    yield opened
    opened.close()


@contextlib.contextmanager
def _tiny_disk(path: Path, size: str) -> Iterator[Path]:
    path.mkdir(parents=True)
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


class TestTakeSnapshot:
    def test_snapshot_while_writes_go_on_is_consistent(self, store: Store, tmp_path: Path) -> None:
        _fill(store, 5000)
        stop = threading.Event()
        written: list[int] = []

        def writer() -> None:
            batch = 0
            while not stop.is_set():
                # Each write adds 10 keys at once: a consistent copy holds a multiple of 10.
                _fill(store, 10, start=100_000 + batch * 10)
                batch += 1
                written.append(batch)

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            snaps = [
                take_snapshot(store.path, tmp_path / "bk", reason="manual", keep=10)
                for _ in range(3)
            ]
        finally:
            stop.set()
            thread.join()
        assert written, "the writer never ran alongside the snapshots"
        for snap in snaps:
            copy = tmp_path / f"check-{snap.name}"
            shutil.copy(snap, copy)
            verify_database(copy)
            assert (_keys(copy) - 5000) % 10 == 0
            assert _keys(copy) >= 5000
        assert not list((tmp_path / "bk").glob(".*partial*"))

    def test_snapshot_is_one_file_in_rollback_journal_mode(
        self, store: Store, tmp_path: Path
    ) -> None:
        _fill(store, 100)
        snap = take_snapshot(store.path, tmp_path / "bk", reason="pre-migration-v3", keep=3)
        assert sorted(p.name for p in (tmp_path / "bk").iterdir()) == [snap.name]
        conn = sqlite3.connect(snap)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        conn.close()
        [listed] = list_snapshots(tmp_path / "bk")
        assert listed.path == snap
        assert listed.reason == "pre-migration-v3"
        assert listed.size == snap.stat().st_size

    def test_keeps_the_newest_n(self, store: Store, tmp_path: Path) -> None:
        taken = [
            take_snapshot(store.path, tmp_path / "bk", reason="manual", keep=3) for _ in range(5)
        ]
        assert [s.path for s in list_snapshots(tmp_path / "bk")] == taken[-3:]
        (tmp_path / "bk" / "notes.txt").write_text("left alone")
        take_snapshot(store.path, tmp_path / "bk", reason="scheduled", keep=1)
        assert [s.reason for s in list_snapshots(tmp_path / "bk")] == ["scheduled"]
        assert (tmp_path / "bk" / "notes.txt").exists()

    @pytest.mark.parametrize(
        ("reason", "keep", "message"),
        [("Bad Reason", 3, "reason"), ("manual", 0, "keep must be at least 1")],
    )
    def test_bad_arguments(
        self, store: Store, tmp_path: Path, reason: str, keep: int, message: str
    ) -> None:
        with pytest.raises(BackupError, match=message):
            take_snapshot(store.path, tmp_path / "bk", reason=reason, keep=keep)

    def test_missing_database(self, tmp_path: Path) -> None:
        with pytest.raises(BackupError, match="no database"):
            take_snapshot(tmp_path / "none.db", tmp_path / "bk", reason="manual", keep=1)


class TestFullDisk:
    def test_no_room_leaves_db_and_older_snapshots(self, store: Store, tmp_path: Path) -> None:
        _fill(store, 200)
        with _tiny_disk(tmp_path / "small", "1m") as disk:
            older = take_snapshot(store.path, disk, reason="manual", keep=5)
            older_bytes = older.read_bytes()
            _fill(store, 8000, start=1000)
            with pytest.raises(DiskFullError, match=r"not enough free space.*untouched"):
                take_snapshot(store.path, disk, reason="manual", keep=5)
            assert [s.path for s in list_snapshots(disk)] == [older]
            assert older.read_bytes() == older_bytes
            assert sorted(p.name for p in disk.iterdir()) == [older.name]
        assert _keys(store.path) == 8200
        _fill(store, 1, start=50_000)

    def test_disk_filling_mid_copy_removes_the_partial_file(
        self, store: Store, tmp_path: Path
    ) -> None:
        # Past the free-space check (another writer fills the disk meanwhile): the copy itself
        # hits ENOSPC and must leave nothing behind.
        _fill(store, 8000)
        with _tiny_disk(tmp_path / "small", "1m") as disk:
            partial = disk / ".caja-x.db.partial"
            with pytest.raises(sqlite3.Error, match="full"):
                copy_database(store.path, partial)
            assert list(disk.iterdir()) == []
        assert _keys(store.path) == 8000
