from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from stocky.edge.backup.schedule import BackupScheduler
from stocky.edge.backup.snapshot import backups_dir, list_snapshots
from stocky.edge.config import EdgeSettings, store_path
from stocky.edge.store import Store
from stocky.edge.store.migrations import MigrationError
from stocky.edge.store.schema import MIGRATIONS
from tests.edge.backup.test_snapshot import _fill, _tiny_disk


def _version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        version: int = conn.execute("PRAGMA user_version").fetchone()[0]
        return version
    finally:
        conn.close()


def _older_store(path: Path, rows: int = 10) -> None:
    with Store.open(path, migrations=MIGRATIONS[:-1]) as store:
        _fill(store, rows)


class TestPreMigration:
    def test_an_older_file_is_snapshotted_before_it_migrates(self, tmp_path: Path) -> None:
        path = store_path(tmp_path)
        _older_store(path)
        assert list_snapshots(backups_dir(tmp_path)) == []
        Store.open(path).close()
        [snap] = list_snapshots(backups_dir(tmp_path))
        assert snap.reason == f"pre-migration-v{len(MIGRATIONS)}"
        assert _version(snap.path) == len(MIGRATIONS) - 1
        assert _version(path) == len(MIGRATIONS)
        Store.open(path).close()  # already current: no second snapshot
        assert len(list_snapshots(backups_dir(tmp_path))) == 1

    def test_a_new_file_is_not_snapshotted(self, tmp_path: Path) -> None:
        Store.open(store_path(tmp_path)).close()
        assert list_snapshots(backups_dir(tmp_path)) == []

    def test_no_room_for_the_snapshot_refuses_the_migration(self, tmp_path: Path) -> None:
        path = store_path(tmp_path)
        _older_store(path, rows=8000)
        with _tiny_disk(backups_dir(tmp_path), "1m"):
            with pytest.raises(MigrationError, match="snapshot before it failed"):
                Store.open(path)
            assert list(backups_dir(tmp_path).iterdir()) == []
        assert _version(path) == len(MIGRATIONS) - 1, "the file was left as it was"


class TestSchedule:
    @pytest.mark.asyncio
    async def test_run_once_takes_a_scheduled_snapshot_and_keeps_n(self, tmp_path: Path) -> None:
        settings = EdgeSettings(data_dir=tmp_path, backup_keep=2, backup_upload=False)
        Store.open(settings.store_path).close()
        scheduler = BackupScheduler(settings)
        taken = [await scheduler.run_once() for _ in range(3)]
        assert all(taken)
        snaps = list_snapshots(backups_dir(tmp_path))
        assert [s.path for s in snaps] == taken[1:]
        assert {s.reason for s in snaps} == {"scheduled"}
        # The next one is due an interval after the newest, not at once.
        assert scheduler._seconds_until_due() > settings.backup_interval_hours * 3600 - 60

    @pytest.mark.asyncio
    async def test_a_failure_is_kept_not_raised(self, tmp_path: Path) -> None:
        settings = EdgeSettings(data_dir=tmp_path, backup_upload=False)
        scheduler = BackupScheduler(settings)
        assert await scheduler.run_once() is None
        assert scheduler.last_error is not None
        assert "no database" in scheduler.last_error
