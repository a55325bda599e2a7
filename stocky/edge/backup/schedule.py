"""The caja's scheduled snapshots: one every `backup_interval_hours`, uploaded when asked.

The copy runs in a worker thread (the event loop never waits on it) through the online
backup API, which copies a MiB at a time, so the store's single writer waits at most one
step between its writes. A failure (full disk, cloud down) is logged and tried again at
the next interval; it never stops the caja.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from stocky.edge.backup.cloud import BackupCloud
from stocky.edge.backup.snapshot import (
    BackupError,
    Snapshot,
    backups_dir,
    list_snapshots,
    snapshot_contents,
    take_snapshot,
)
from stocky.edge.config import EdgeSettings

log = logging.getLogger(__name__)
SCHEDULED = "scheduled"


class BackupScheduler:
    def __init__(self, settings: EdgeSettings) -> None:
        self.settings = settings
        self.folder = backups_dir(settings.data_dir)
        self._task: asyncio.Task[None] | None = None
        self.last_error: str | None = None

    @property
    def interval(self) -> timedelta:
        return timedelta(hours=self.settings.backup_interval_hours)

    async def start(self) -> None:
        if self.settings.backup_interval_hours > 0 and self._task is None:
            self._task = asyncio.create_task(self._loop(), name="backup-schedule")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _seconds_until_due(self) -> float:
        # A restart does not reset the clock: the newest snapshot on disk says when.
        snaps = list_snapshots(self.folder)
        if not snaps:
            # A caja that never took one waits a whole interval too: a fresh start (or a
            # test's short-lived runtime) has nothing worth a snapshot yet.
            return self.interval.total_seconds()
        due = snaps[-1].taken_at + self.interval
        return max((due - datetime.now(UTC)).total_seconds(), 0.0)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(max(self._seconds_until_due(), 1.0))
            await self.run_once()
            await asyncio.sleep(1.0)  # never spin if the clock stands still or jumps back

    async def run_once(self) -> Path | None:
        """Take (and upload) one snapshot now; None when it failed (the error is logged)."""
        try:
            path = await asyncio.to_thread(
                take_snapshot,
                self.settings.store_path,
                self.folder,
                reason=SCHEDULED,
                keep=self.settings.backup_keep,
            )
        except BackupError as exc:
            self.last_error = str(exc)
            log.warning("scheduled snapshot failed: %s", exc)
            return None
        if self.settings.backup_upload:
            try:
                await asyncio.to_thread(self._upload, path)
            except BackupError as exc:
                self.last_error = str(exc)
                log.warning("upload of %s failed (kept locally): %s", path.name, exc)
                return path
        self.last_error = None
        return path

    def _upload(self, path: Path) -> None:
        [snap] = [s for s in list_snapshots(self.folder) if s.path == path] or [
            Snapshot(path, datetime.now(UTC), SCHEDULED, path.stat().st_size)
        ]
        contents = snapshot_contents(path)
        url = self.settings.cloud_url or contents.cloud_url
        if not (url and contents.device_credential):
            return  # not activated: nothing to upload to
        with BackupCloud(url, contents.device_credential) as cloud:
            cloud.upload(snap)
