"""`stocky cloud publish-installer FILE --os linux --version 1.4.0`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

from stocky.console import console, fail

DataDirOpt = Annotated[
    Path | None,
    typer.Option("--data-dir", help="The cloud's data dir (its local object storage)."),
]


def publish_installer(
    file: Annotated[Path, typer.Argument(help="The installer (.deb, .AppImage, .exe, .dmg...).")],
    os_name: Annotated[str, typer.Option("--os", help="linux, windows or macos.")],
    version: Annotated[str, typer.Option("--version", help="The caja version it installs.")],
    data_dir: DataDirOpt = None,
    upload: Annotated[
        bool,
        typer.Option(
            "--upload/--manifest-only",
            help="--manifest-only: the file is served at installer_download_url; "
            "only record its version, size and checksum.",
        ),
    ] = True,
) -> None:
    """Make FILE the installer the admin's sede page offers for one OS."""
    from stocky.cloud.app import load_key_ring
    from stocky.cloud.cli import load_settings
    from stocky.cloud.installers.manifest import check_installer, publish
    from stocky.cloud.storage.factory import build_storage

    try:
        check_installer(os_name, version, file)
    except ValueError as exc:
        fail(str(exc))
    settings = load_settings(data_dir)
    storage = build_storage(settings, load_key_ring(settings))
    columns = ("{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        verb = "uploading" if upload else "checksumming"
        task = progress.add_task(f"{verb} {file.name}", total=file.stat().st_size)
        try:
            manifest = asyncio.run(
                publish(
                    storage,
                    os_name,
                    version,
                    file,
                    upload=upload,
                    progress=lambda n: progress.advance(task, n),
                )
            )
        except OSError as exc:
            fail(f"could not publish {file.name}: {exc}")
        except Exception as exc:  # boto3's errors (no bucket, no credentials) name the cause
            fail(f"could not publish {file.name}: {type(exc).__name__}: {exc}")
    console.print(
        f"[bold]{manifest.os}[/] installer {manifest.version}: {manifest.file_name} "
        f"({manifest.size} bytes) sha256 {manifest.sha256}"
    )
