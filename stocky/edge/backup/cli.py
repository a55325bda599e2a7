"""`stocky edge backup`, `stocky edge backups` and `stocky edge restore`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from stocky.console import console, fail

DATA_DIR = typer.Option(..., "--data-dir", help="The caja's data folder")


def _settings(data_dir: Path) -> Any:
    from stocky.edge.config import EdgeSettings

    return EdgeSettings(data_dir=data_dir)


def backup_command(
    data_dir: Path = DATA_DIR,
    upload: bool = typer.Option(False, "--upload", help="Also upload it to the cloud"),
) -> None:
    """Snapshot the caja's database now (safe while the caja runs); optionally upload it."""
    from stocky.edge.backup.cloud import BackupCloud
    from stocky.edge.backup.snapshot import (
        BackupError,
        backups_dir,
        list_snapshots,
        snapshot_contents,
        take_snapshot,
    )

    settings = _settings(data_dir)
    try:
        with console.status("Taking the snapshot..."):
            path = take_snapshot(
                settings.store_path,
                backups_dir(data_dir),
                reason="manual",
                keep=settings.backup_keep,
            )
        console.print(f"Snapshot {path}")
        if upload:
            [snap] = [s for s in list_snapshots(backups_dir(data_dir)) if s.path == path]
            contents = snapshot_contents(path)
            url = settings.cloud_url or contents.cloud_url
            if not (url and contents.device_credential):
                fail("--upload: this caja is not activated, so it has no cloud to upload to")
            with (
                BackupCloud(url, contents.device_credential) as cloud,
                console.status(f"Uploading {snap.size // 1024} KiB to {url}..."),
            ):
                uploaded = cloud.upload(snap)
            console.print(f"Uploaded as backup {uploaded['id']}")
    except BackupError as exc:
        fail(str(exc))


def backups_command(data_dir: Path = DATA_DIR) -> None:
    """List the local snapshots and, for an activated caja, the ones in the cloud."""
    from stocky.edge.backup.cloud import BackupCloud
    from stocky.edge.backup.snapshot import BackupError, backups_dir, list_snapshots

    settings = _settings(data_dir)
    local = Table("taken (UTC)", "reason", "KiB", "file", title="Local snapshots")
    for snap in reversed(list_snapshots(backups_dir(data_dir))):
        local.add_row(
            snap.taken_at.strftime("%Y-%m-%d %H:%M:%S"),
            snap.reason,
            str(snap.size // 1024),
            str(snap.path),
        )
    console.print(local)
    identity = _identity(settings.store_path)
    if identity is None:
        console.print("No activated caja here: the cloud's backups need its credential.")
        return
    url, credential = identity
    try:
        with BackupCloud(settings.cloud_url or url, credential) as cloud:
            items = cloud.list()
    except BackupError as exc:
        fail(str(exc))
    remote = Table("id", "taken (UTC)", "reason", "KiB", "last op seq", title="In the cloud")
    for item in items:
        remote.add_row(
            item["id"],
            item["taken_at"][:19].replace("T", " "),
            item["reason"],
            str(item["size"] // 1024),
            str(item["last_op_seq"]),
        )
    console.print(remote)


def _identity(store: Path) -> tuple[str, str] | None:
    """(cloud url, device credential) of the store there, read without opening it for writes."""
    from stocky.edge.backup.snapshot import BackupError, snapshot_contents

    if not store.is_file():
        return None
    try:
        contents = snapshot_contents(store)
    except BackupError:
        return None
    if not (contents.cloud_url and contents.device_credential):
        return None
    return contents.cloud_url, contents.device_credential


def restore_command(
    data_dir: Path = DATA_DIR,
    snapshot: str | None = typer.Argument(
        None,
        help="A snapshot file or its name in the data dir's backups folder (default: the"
        " newest); with --from-cloud, a backup id (default: the caja's newest)",
    ),
    from_cloud: bool = typer.Option(False, "--from-cloud", help="Download it from the cloud"),
    cloud_url: str | None = typer.Option(
        None, "--cloud-url", help="The cloud, on a machine that no longer holds the caja"
    ),
    email: str | None = typer.Option(
        None, "--email", help="The owner's email, on a machine that no longer holds the caja"
    ),
    password: str | None = typer.Option(
        None,
        "--password",
        envvar="STOCKY_OWNER_PASSWORD",
        hidden=True,
        help="The owner's password (asked for when not given)",
    ),
    device: str | None = typer.Option(
        None, "--device", help="With --email: the caja (device id) whose newest backup to take"
    ),
) -> None:
    """Restore a snapshot onto this (new or wiped) machine; the caja re-syncs on its next run."""
    from stocky.edge.backup.cloud import BackupCloud
    from stocky.edge.backup.restore import restore_snapshot
    from stocky.edge.backup.snapshot import BackupError, backups_dir, list_snapshots

    settings = _settings(data_dir)
    cloud: BackupCloud | None = None
    try:
        if from_cloud:
            cloud, device = _cloud_session(settings, cloud_url, email, password, device)
            source = _download(cloud, data_dir, snapshot, device)
        elif snapshot is not None:
            source = Path(snapshot)
            if not source.is_file():
                source = backups_dir(data_dir) / snapshot
            if not source.is_file():
                fail(f"SNAPSHOT: there is no snapshot {snapshot}")
        else:
            snaps = list_snapshots(backups_dir(data_dir))
            if not snaps:
                fail(
                    f"there are no snapshots in {backups_dir(data_dir)};"
                    " name one or use --from-cloud"
                )
            source = snaps[-1].path
        with console.status(f"Checking and restoring {source.name}..."):
            restored = restore_snapshot(data_dir, source, cloud=cloud if email else None)
    except BackupError as exc:
        fail(str(exc))
    finally:
        if cloud is not None:
            cloud.close()
    _report(restored)


def _cloud_session(
    settings: Any,
    cloud_url: str | None,
    email: str | None,
    password: str | None,
    device: str | None,
) -> tuple[Any, str | None]:
    from stocky.edge.backup.cloud import BackupCloud

    if email is not None:
        if not cloud_url:
            fail("--email needs --cloud-url (this machine does not know its cloud)")
        if password is None:
            password = typer.prompt(f"Password of {email}", hide_input=True)
        return BackupCloud.login(cloud_url, email, password), device
    identity = _identity(settings.store_path)
    if identity is None:
        fail(
            "--from-cloud: this data dir holds no caja credential; sign in as the owner with"
            " --cloud-url URL --email EMAIL --device DEVICE_ID"
        )
    return BackupCloud(cloud_url or settings.cloud_url or identity[0], identity[1]), None


def _download(cloud: Any, data_dir: Path, backup_id: str | None, device: str | None) -> Path:
    from stocky.edge.backup.snapshot import backups_dir

    if backup_id is None:
        items = cloud.list(device_id=device)
        devices = {item["device_id"] for item in items}
        if not items:
            fail("the cloud holds no backup of this caja")
        if len(devices) > 1:
            fail("--device: the tenant has backups of several cajas: " + ", ".join(sorted(devices)))
        backup_id = items[0]["id"]
    folder = backups_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with console.status(f"Downloading backup {backup_id}..."):
        path: Path = cloud.download(backup_id, folder / f"cloud-{backup_id}.db")
    console.print(f"Downloaded backup {backup_id} ({path.stat().st_size // 1024} KiB)")
    return path


def _report(restored: Any) -> None:
    contents = restored.contents
    console.print(
        f"Restored {restored.path}: the snapshot holds {contents.ops} outbox ops,"
        f" the last with seq {contents.last_op_seq}."
    )
    if restored.replaced is not None:
        console.print(f"The database it replaced is kept as {restored.replaced}.")
    if restored.cloud is None:
        console.print(
            f"Could not ask the cloud what it received from this caja ({restored.cloud_error});"
            " its next pull still brings back whatever the cloud has."
        )
    else:
        console.print(
            f"The cloud has {restored.lacked} ops from this caja that the snapshot lacks"
            f" ({restored.cloud.ops_total} in all): they come back with the caja's next pull."
        )
    console.print(
        "Ops this caja made after its last push to the cloud were only in the lost file:"
        " they are gone, and since the cloud never got them, how many cannot be counted."
    )
