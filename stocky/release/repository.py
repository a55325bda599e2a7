"""A channel's TUF repository, written with python-tuf's Metadata API.

    <keys>/root.pem targets.pem snapshot.pem timestamp.pem    Ed25519 keys (keep root offline)
    <keys>/root.json                                           the signed root, shipped in apps
    <repo>/<channel>/metadata/{1.root,root,targets,snapshot,timestamp}.json
    <repo>/<channel>/targets/stocky-caja-<version>.tar.gz

No consistent snapshots: the file names stay fixed, so any static host (a folder, a bucket,
the cloud's /updates route) serves the repository as it is. A publish writes the archive
first and the metadata after it, timestamp last, so a client never sees metadata naming an
archive that is not there yet.
"""

from __future__ import annotations

import io
import json
import os
import re
import tarfile
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.signer import CryptoSigner, SSlibKey

# tuf.api.metadata re-exports these without __all__, which mypy's strict mode rejects.
from tuf.api.metadata import (  # type: ignore[attr-defined]
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

from stocky.edge.updates.slots import MANIFEST, TRUSTED_ROOT

ROLES: Final = ("root", "targets", "snapshot", "timestamp")
CHANNELS: Final = ("stable", "beta")
ARCHIVE_PREFIX: Final = "stocky-caja-"
ARCHIVE_SUFFIX: Final = ".tar.gz"
VERSION_RE: Final = re.compile(r"^\d+\.\d+\.\d+(?:[ab]\d+)?$")
EXPIRY: Final = {
    "root": timedelta(days=365),
    "targets": timedelta(days=90),
    "snapshot": timedelta(days=90),
    "timestamp": timedelta(days=30),
}


class ReleaseError(RuntimeError):
    """What a release step refuses, in one sentence for the operator."""


def archive_name(version: str) -> str:
    return f"{ARCHIVE_PREFIX}{version}{ARCHIVE_SUFFIX}"


def _expires(role: str) -> datetime:
    return (datetime.now(UTC) + EXPIRY[role]).replace(microsecond=0)


def _signer(keys_dir: Path, role: str) -> CryptoSigner:
    path = keys_dir / f"{role}.pem"
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise ReleaseError(f"{path}: no readable {role} key ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ReleaseError(f"{path}: not an Ed25519 key")
    return CryptoSigner(key)


def _public(signer: CryptoSigner) -> SSlibKey:
    key = signer.public_key
    assert isinstance(key, SSlibKey)
    return key


def init_keys(keys_dir: Path) -> Path:
    """Four new Ed25519 keys and the root that trusts them; returns the root's path."""
    if (keys_dir / "root.json").exists():
        raise ReleaseError(f"{keys_dir} already holds keys (root.json); use another folder")
    keys_dir.mkdir(parents=True, exist_ok=True)
    for role in ROLES:
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path = keys_dir / f"{role}.pem"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
    signers = {role: _signer(keys_dir, role) for role in ROLES}
    root = Root(expires=_expires("root"), consistent_snapshot=False)
    for role, signer in signers.items():
        root.add_key(_public(signer), role)
    metadata = Metadata(root)
    metadata.sign(signers["root"])
    path = keys_dir / "root.json"
    metadata.to_file(str(path), JSONSerializer(compact=False))
    return path


def _write(metadata: Metadata[Any], path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    metadata.to_file(str(tmp), JSONSerializer(compact=False))
    os.replace(tmp, path)


def _build_archive(bundle: Path, out: Path, *, version: str, entry: str, root: bytes) -> None:
    """The bundle as one tar.gz with the slot manifest and the trusted root added."""
    if not (bundle / entry).is_file():
        raise ReleaseError(f"{bundle}: has no {entry} (the executable the caja starts)")
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex}.tmp")
    try:
        with tarfile.open(tmp, "w:gz") as tar:
            for path in sorted(bundle.rglob("*")):
                name = path.relative_to(bundle).as_posix()
                if name in (MANIFEST, TRUSTED_ROOT):
                    continue
                tar.add(path, arcname=name, recursive=False)
            for name, data in (
                (MANIFEST, json.dumps({"version": version, "entry": entry}).encode()),
                (TRUSTED_ROOT, root),
            ):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def publish(
    *,
    bundle: Path,
    version: str,
    channel: str,
    repo_dir: Path,
    keys_dir: Path,
    entry: str = "stocky-caja",
    step: Callable[[str], None] = lambda _: None,
) -> Path:
    """Archive the bundle, add it to the channel's targets, and sign targets, snapshot and
    timestamp. Returns the archive's path."""
    if not VERSION_RE.fullmatch(version):
        raise ReleaseError(f"--version: {version!r} is not like 1.2.0 (or 1.3.0b1)")
    if channel not in CHANNELS:
        raise ReleaseError(f"--channel: {channel!r} is not one of {', '.join(CHANNELS)}")
    if not bundle.is_dir():
        raise ReleaseError(f"--bundle: {bundle} is not a folder")
    root_path = keys_dir / "root.json"
    try:
        root_bytes = root_path.read_bytes()
    except OSError as exc:
        raise ReleaseError(f"{root_path}: no root (run `stocky release init-keys`)") from exc
    signers = {role: _signer(keys_dir, role) for role in ("targets", "snapshot", "timestamp")}
    metadata_dir = repo_dir / channel / "metadata"
    targets_dir = repo_dir / channel / "targets"
    metadata_dir.mkdir(parents=True, exist_ok=True)
    targets_dir.mkdir(parents=True, exist_ok=True)
    root = Metadata[Root].from_bytes(root_bytes)
    for name in (f"{root.signed.version}.root.json", "root.json"):
        (metadata_dir / name).write_bytes(root_bytes)

    step("archive")
    archive = targets_dir / archive_name(version)
    if archive.exists():
        raise ReleaseError(f"version {version} is already published on {channel}")
    _build_archive(bundle, archive, version=version, entry=entry, root=root_bytes)

    step("sign")
    targets_path = metadata_dir / "targets.json"
    if targets_path.exists():
        targets = Metadata[Targets].from_file(str(targets_path))
        targets.signed.version += 1
    else:
        targets = Metadata(Targets(expires=_expires("targets")))
    targets.signed.expires = _expires("targets")
    target = TargetFile.from_file(archive.name, str(archive))
    target.unrecognized_fields["custom"] = {"version": version}
    targets.signed.targets[archive.name] = target
    targets.signatures.clear()
    targets.sign(signers["targets"])

    snapshot_path = metadata_dir / "snapshot.json"
    if snapshot_path.exists():
        snapshot = Metadata[Snapshot].from_file(str(snapshot_path))
        snapshot.signed.version += 1
    else:
        snapshot = Metadata(Snapshot(expires=_expires("snapshot")))
    snapshot.signed.expires = _expires("snapshot")
    snapshot.signed.meta["targets.json"] = MetaFile(version=targets.signed.version)
    snapshot.signatures.clear()
    snapshot.sign(signers["snapshot"])

    timestamp_path = metadata_dir / "timestamp.json"
    if timestamp_path.exists():
        timestamp = Metadata[Timestamp].from_file(str(timestamp_path))
        timestamp.signed.version += 1
    else:
        timestamp = Metadata(Timestamp(expires=_expires("timestamp")))
    timestamp.signed.expires = _expires("timestamp")
    timestamp.signed.snapshot_meta = MetaFile(version=snapshot.signed.version)
    timestamp.signatures.clear()
    timestamp.sign(signers["timestamp"])

    step("write")
    _write(targets, targets_path)
    _write(snapshot, snapshot_path)
    _write(timestamp, timestamp_path)
    return archive


__all__ = ["ReleaseError", "archive_name", "init_keys", "publish"]
