"""Per-OS installer manifests in object storage, and the download links they give.

Layout (the same keys under a configured `installer_download_url`):

    installers/<os>/current.json              version, file_name, size, sha256, uploaded_at
    installers/<os>/<version>/<file_name>     the installer itself

Publishing uploads the file first and writes the manifest last, so a reader never sees a
manifest naming an installer that is not there yet.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from stocky.cloud.storage.base import ObjectStorage, Progress, extension, valid_key

OsName = Literal["linux", "windows", "macos"]
OSES: tuple[OsName, ...] = ("linux", "windows", "macos")
# Which installer formats make sense on which OS.
FORMATS: dict[str, tuple[str, ...]] = {
    "linux": ("deb", "AppImage", "tar.gz", "zip"),
    "windows": ("exe", "zip"),
    "macos": ("dmg", "zip"),
}
VERSION_PATTERN = re.compile(r"^[0-9]+(?:\.[0-9]+){1,3}(?:[-+.][A-Za-z0-9.]{1,40})?$")


class InstallerManifest(BaseModel):
    os: OsName
    version: str
    file_name: str
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    uploaded_at: datetime


class InstallerOut(InstallerManifest):
    url: str = Field(description="Where to download it (signed or presigned, time-limited)")


class InstallersOut(BaseModel):
    installers: list[InstallerOut] = Field(description="The current installer of each OS")
    missing: list[OsName] = Field(description="OSes with no installer published yet")


def manifest_key(os_name: str) -> str:
    return f"installers/{os_name}/current.json"


def installer_key(os_name: str, version: str, file_name: str) -> str:
    return f"installers/{os_name}/{version}/{file_name}"


def check_installer(os_name: str, version: str, path: Path) -> str:
    """The object key for publishing `path`, or ValueError saying what is wrong."""
    if os_name not in OSES:
        raise ValueError(f"--os must be one of {', '.join(OSES)}")
    if VERSION_PATTERN.fullmatch(version) is None:
        raise ValueError(f"--version {version!r} is not a version like 1.4.0")
    if not path.is_file():
        raise ValueError(f"{path} is not a file")
    ext = extension(path.name)
    if ext not in FORMATS[os_name]:
        raise ValueError(
            f"{path.name}: a {os_name} installer is one of "
            + ", ".join(f".{e}" for e in FORMATS[os_name])
        )
    key = installer_key(os_name, version, path.name)
    if not valid_key(key):
        raise ValueError(f"{path.name}: name the file with letters, digits, '.', '_' or '-'")
    return key


def sha256_of(path: Path, progress: Progress | None = None) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
            if progress is not None:
                progress(len(chunk))
    return size, digest.hexdigest()


async def publish(
    storage: ObjectStorage,
    os_name: str,
    version: str,
    path: Path,
    *,
    upload: bool = True,
    progress: Progress | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> InstallerManifest:
    """Upload `path` (sha256 computed as it goes) and make it the OS's current installer.
    With upload=False only the manifest is written (the files live at a download URL)."""
    key = check_installer(os_name, version, path)
    if upload:
        info = await storage.put_file(key, path, progress=progress)
        assert info.sha256 is not None
        size, sha = info.size, info.sha256
    else:
        size, sha = sha256_of(path, progress)
    manifest = InstallerManifest(
        os=os_name,
        version=version,
        file_name=path.name,
        size=size,
        sha256=sha,
        uploaded_at=now(),
    )
    await storage.put(
        manifest_key(os_name), manifest.model_dump_json().encode(), "application/json"
    )
    return manifest


async def current(storage: ObjectStorage, os_name: str) -> InstallerManifest | None:
    raw = await storage.get(manifest_key(os_name))
    if raw is None:
        return None
    try:
        return InstallerManifest.model_validate(json.loads(raw))
    except (ValueError, ValidationError):
        # A hand-edited or truncated manifest reads as "not published", never as a 500.
        return None


def download_url(storage: ObjectStorage, manifest: InstallerManifest, base: str | None) -> str:
    key = installer_key(manifest.os, manifest.version, manifest.file_name)
    if base:
        return f"{base.rstrip('/')}/{key.removeprefix('installers/')}"
    return storage.url(key)


async def listing(storage: ObjectStorage, base: str | None) -> InstallersOut:
    found: list[InstallerOut] = []
    missing: list[OsName] = []
    for os_name in OSES:
        manifest = await current(storage, os_name)
        if manifest is None:
            missing.append(os_name)
        else:
            url = download_url(storage, manifest, base)
            found.append(InstallerOut(**manifest.model_dump(), url=url))
    return InstallersOut(installers=found, missing=missing)
