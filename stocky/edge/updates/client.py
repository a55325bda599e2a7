"""Check a channel for a newer version, download it, let TUF verify it, and extract it into
the slot that is not running.

python-tuf's ngclient does the verification: the metadata chain from the root shipped in the
app (signatures, versions, expiry) and the archive's length and hashes. Everything here is
blocking and bounded by the socket timeout; the caller runs it on a thread, so a slow or down
update server never holds the event loop that sells.
"""

from __future__ import annotations

import errno
import logging
import shutil
import tarfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from packaging.version import InvalidVersion, Version
from tuf.api.exceptions import (
    DownloadError,
    LengthOrHashMismatchError,
    RepositoryError,
    UnsignedMetadataError,
)
from tuf.ngclient import RequestsFetcher, Updater  # type: ignore[attr-defined]

from stocky.edge.updates.slots import TRUSTED_ROOT, Install, SlotError, other

log = logging.getLogger(__name__)

Outcome = Literal["up_to_date", "ready", "unreachable", "refused", "failed"]


@dataclass(frozen=True)
class CheckResult:
    outcome: Outcome
    message: str
    version: str | None = None


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _metadata_dir(install: Install, channel: str) -> Path:
    """The channel's trusted metadata, started from the root the running app ships."""
    folder = install.tuf_dir / channel / "metadata"
    if not (folder / "root.json").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        state = install.load()
        shipped = install.slot_dir(state.current) / TRUSTED_ROOT
        if not shipped.is_file():
            raise SlotError(f"{shipped}: the running version ships no trusted root")
        shutil.copyfile(shipped, folder / "root.json")
    return folder


def _trusted_targets(updater: Updater) -> dict[str, str]:
    """Archive name -> version, from the verified targets metadata.

    ngclient has no public listing (tufup reads the same private attribute)."""
    targets = updater._trusted_set.targets.targets
    found: dict[str, str] = {}
    for name, target in targets.items():
        custom = target.unrecognized_fields.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("version"), str):
            found[name] = custom["version"]
    return found


def _extract(archive: Path, install: Install, slot_dir: Path) -> None:
    """Into a hidden folder, then renamed over the inactive slot: a full disk or a bad
    archive leaves the slot's old content gone at worst, never the running slot touched."""
    tmp = slot_dir.with_name(f".{slot_dir.name}.{uuid.uuid4().hex}.tmp")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(tmp, filter="data")  # refuses absolute paths and links out
        if slot_dir.exists():
            shutil.rmtree(slot_dir)
        tmp.rename(slot_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def check_and_stage(
    install: Install, *, update_url: str, channel: str, timeout_s: float = 20.0
) -> CheckResult:
    """One check: when the channel holds a newer version than the running one (and not one
    that already failed here), download, verify and extract it into the other slot."""
    state = install.load()
    running = install.manifest(state.current).version
    failed = (state.last_failure or {}).get("version")
    base = update_url.rstrip("/") + f"/{channel}"
    downloads = install.tuf_dir / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    try:
        updater = Updater(
            metadata_dir=str(_metadata_dir(install, channel)),
            metadata_base_url=f"{base}/metadata/",
            target_dir=str(downloads),
            target_base_url=f"{base}/targets/",
            fetcher=RequestsFetcher(socket_timeout=max(1, int(timeout_s))),
        )
        updater.refresh()
        candidates = [
            (parsed, name, text)
            for name, text in _trusted_targets(updater).items()
            if (parsed := _version(text)) is not None
            and parsed > (_version(running) or Version("0"))
            and text != failed
        ]
        if not candidates:
            return CheckResult("up_to_date", f"{running} is the newest on {channel}")
        _, name, version = max(candidates)
        if state.ready and state.ready.get("version") == version:
            return CheckResult(
                "ready", f"{version} is ready in slot {state.ready['slot']}", version
            )
        info = updater.get_targetinfo(name)
        if info is None:
            return CheckResult("refused", f"{name}: not in the signed targets")
        path = Path(updater.download_target(info, str(downloads / name)))
    except UnsignedMetadataError as exc:
        return _refused(f"metadata signature not trusted: {exc}")
    except LengthOrHashMismatchError as exc:
        return _refused(f"download does not match its signed hash: {exc}")
    except RepositoryError as exc:
        return _refused(f"metadata refused: {type(exc).__name__}: {exc}")
    except DownloadError as exc:
        log.info("update check: %s unreachable: %s", base, exc)
        return CheckResult("unreachable", f"{base}: {type(exc).__name__}: {exc}")
    except OSError as exc:
        return _failed(exc)
    return _stage(install, path, version)


def _stage(install: Install, archive: Path, version: str) -> CheckResult:
    state = install.load()
    slot = other(state.current)
    try:
        _extract(archive, install, install.slot_dir(slot))
        if install.manifest(slot).version != version:
            return _refused(f"{archive.name}: its manifest does not say {version}")
    except (OSError, tarfile.TarError, SlotError) as exc:
        return _failed(exc)
    finally:
        archive.unlink(missing_ok=True)
    state = install.load()
    state.ready = {"slot": slot, "version": version}
    install.save(state)
    log.info("update %s ready in slot %s", version, slot)
    return CheckResult("ready", f"{version} is ready in slot {slot}", version)


def _refused(message: str) -> CheckResult:
    log.warning("update refused: %s", message)
    return CheckResult("refused", message)


def _failed(exc: BaseException) -> CheckResult:
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        message = "no space left on the disk for the update; the running version is untouched"
    else:
        message = f"could not install the update: {type(exc).__name__}: {exc}"
    log.warning("update failed: %s", message)
    return CheckResult("failed", message)
