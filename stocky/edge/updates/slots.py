"""The caja's install layout: two slots side by side, a pointer to the current one, and a
small state file.

    <root>/slots/a/        one version's app folder (its stocky-slot.json names it)
    <root>/slots/b/        the other
    <root>/current         symlink to slots/a or slots/b (a pointer file off POSIX)
    <root>/state.json      current, previous, ready, pending health check, last failure
    <root>/tuf/            the trusted TUF metadata and downloads

The data dir (caja.db) lives outside the slots, so switching slots keeps the same file and
with it a shift's unsynced ops. Every write here is done aside and renamed into place: a power
cut leaves either the old pointer or the new one, never half of one.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

SLOTS: Final = ("a", "b")
MANIFEST: Final = "stocky-slot.json"
TRUSTED_ROOT: Final = "stocky-trusted-root.json"
Slot = Literal["a", "b"]


class SlotError(RuntimeError):
    """The install layout is missing or damaged; the message names the file."""


@dataclass
class SlotManifest:
    version: str
    entry: str  # the executable inside the slot, relative to it

    @classmethod
    def read(cls, folder: Path) -> SlotManifest:
        path = folder / MANIFEST
        try:
            data = json.loads(path.read_text())
            return cls(version=str(data["version"]), entry=str(data["entry"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SlotError(f"{path}: not a readable slot manifest ({exc})") from exc


@dataclass
class UpdateState:
    current: Slot = "a"
    previous: Slot | None = None
    ready: dict[str, str] | None = None  # {slot, version}: extracted, verified, not switched
    pending: dict[str, Any] | None = None  # {slot, version, previous_version, cloud_online}
    last_failure: dict[str, Any] | None = None  # {version, reason, at, reported}
    installed: list[dict[str, Any]] = field(default_factory=list)  # successes to report

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UpdateState:
        return cls(
            current=_slot(data.get("current", "a")),
            previous=_slot(data["previous"]) if data.get("previous") else None,
            ready=data.get("ready"),
            pending=data.get("pending"),
            last_failure=data.get("last_failure"),
            installed=list(data.get("installed") or []),
        )


def _slot(value: object) -> Slot:
    if value == "a":
        return "a"
    if value == "b":
        return "b"
    raise SlotError(f"not a slot: {value!r}")


def other(slot: Slot) -> Slot:
    return "b" if slot == "a" else "a"


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with tmp.open("w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


@dataclass(frozen=True)
class Install:
    """One caja's install root and what is in it."""

    root: Path

    @property
    def state_path(self) -> Path:
        return self.root / "state.json"

    @property
    def pointer(self) -> Path:
        return self.root / "current"

    @property
    def tuf_dir(self) -> Path:
        return self.root / "tuf"

    def slot_dir(self, slot: Slot) -> Path:
        return self.root / "slots" / slot

    def exists(self) -> bool:
        return self.state_path.is_file()

    def load(self) -> UpdateState:
        try:
            return UpdateState.from_json(json.loads(self.state_path.read_text()))
        except (OSError, ValueError) as exc:
            raise SlotError(f"{self.state_path}: unreadable ({exc})") from exc

    def save(self, state: UpdateState) -> None:
        _write_atomic(self.state_path, json.dumps(asdict(state), indent=2, sort_keys=True))

    def pointed(self) -> Slot:
        """The slot the pointer names: what the launcher starts next."""
        if self.pointer.is_symlink():
            return _slot(Path(os.readlink(self.pointer)).name)
        try:
            return _slot(self.pointer.read_text().strip())
        except OSError as exc:
            raise SlotError(f"{self.pointer}: no current slot ({exc})") from exc

    def point_to(self, slot: Slot) -> None:
        """Swap the pointer in one rename (a symlink on POSIX, a one-line file elsewhere)."""
        tmp = self.root / f".current.{uuid.uuid4().hex}.tmp"
        if sys.platform != "win32":
            os.symlink(Path("slots") / slot, tmp)
            os.replace(tmp, self.pointer)
        else:
            _write_atomic(self.pointer, slot)

    def manifest(self, slot: Slot) -> SlotManifest:
        return SlotManifest.read(self.slot_dir(slot))

    def entry(self, slot: Slot) -> Path:
        return self.slot_dir(slot) / self.manifest(slot).entry


def init_install(
    root: Path, bundle: Path, *, version: str, entry: str, trusted_root: Path
) -> Install:
    """A first install: the bundle copied into slot a, the pointer on it, the release's
    trusted root put where the update client starts from."""
    install = Install(root)
    if install.exists():
        raise SlotError(f"{root} already holds an install (state.json)")
    if not bundle.is_dir():
        raise SlotError(f"{bundle}: not a folder")
    root.mkdir(parents=True, exist_ok=True)
    target = install.slot_dir("a")
    shutil.copytree(bundle, target, symlinks=True)
    (target / MANIFEST).write_text(json.dumps({"version": version, "entry": entry}))
    shutil.copyfile(trusted_root, target / TRUSTED_ROOT)
    install.slot_dir("b").mkdir(parents=True, exist_ok=True)
    install.point_to("a")
    install.save(UpdateState(current="a"))
    return install
