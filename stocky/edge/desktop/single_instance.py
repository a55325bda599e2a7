"""One running caja per data dir: an OS file lock held for the life of `stocky edge run`.

Two processes writing one SQLite file would each believe they own the outbox and the shift,
so the second launch must not open the store at all. The lock is the operating system's
(flock on POSIX, msvcrt on Windows): it dies with its process, kill -9 and power loss
included, so a lock file left behind never blocks the next start. Next to it the running
caja publishes where it answers and a per-run token, for a second launch to ask it to come
to front instead (POST /local/focus).
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

LOCK_FILE = "caja.lock"
INSTANCE_FILE = "caja.instance.json"
FOCUS_PATH = "/local/focus"
FOCUS_HEADER = "X-Stocky-Focus"

if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


@dataclass(frozen=True)
class Instance:
    """What a running caja publishes: how a second launch reaches it, and proves it may."""

    pid: int
    url: str
    mode: str
    token: str

    @classmethod
    def new(cls, *, host: str, port: int, mode: str) -> Instance:
        # A caja listening on every interface is still reached on loopback, where
        # /local/focus answers.
        reach = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
        if ":" in reach and not reach.startswith("["):
            reach = f"[{reach}]"
        return cls(os.getpid(), f"http://{reach}:{port}/", mode, secrets.token_urlsafe(24))


class AlreadyRunningError(RuntimeError):
    def __init__(self, data_dir: Path) -> None:
        super().__init__(f"a caja is already running on the data dir {data_dir}")
        self.data_dir = data_dir


class InstanceLock:
    """The data dir's lock, held from `acquire` until `release` or the process ends."""

    def __init__(self, data_dir: Path, fd: int) -> None:
        self.data_dir = data_dir
        self._fd: int | None = fd
        self.instance: Instance | None = None

    @classmethod
    def acquire(cls, data_dir: Path) -> InstanceLock:
        """Take the lock, or raise AlreadyRunningError when another process holds it."""
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            locked = _try_lock(fd)
        except BaseException:
            os.close(fd)
            raise
        if not locked:
            os.close(fd)
            raise AlreadyRunningError(data_dir)
        return cls(data_dir, fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def publish(self, instance: Instance) -> None:
        """Write the instance file (owner-only: its token lets a caller move the window)."""
        path = self.data_dir / INSTANCE_FILE
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(asdict(instance), out)
        os.replace(tmp, path)
        self.instance = instance

    def release(self) -> None:
        if self._fd is None:
            return
        if self.instance is not None:
            (self.data_dir / INSTANCE_FILE).unlink(missing_ok=True)
        # Closing the descriptor drops the lock on both systems.
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> InstanceLock:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def lock_is_held(data_dir: Path) -> bool:
    """Whether a caja runs on this data dir now (takes and drops the lock to find out)."""
    if not (data_dir / LOCK_FILE).exists():
        return False
    try:
        InstanceLock.acquire(data_dir).release()
    except AlreadyRunningError:
        return True
    return False


def read_instance(data_dir: Path, *, wait_s: float = 10.0) -> Instance | None:
    """The running caja's instance file; it may be a moment behind its lock, so wait a bit."""
    path = data_dir / INSTANCE_FILE
    deadline = time.monotonic() + wait_s
    while True:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return Instance(
                pid=int(raw["pid"]),
                url=str(raw["url"]),
                mode=str(raw["mode"]),
                token=str(raw["token"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            if time.monotonic() >= deadline:
                return None
        time.sleep(0.1)


def request_focus(instance: Instance, *, wait_s: float = 30.0) -> dict[str, Any] | None:
    """Ask the running caja to come to front; None when it does not answer in time (it may
    still be starting its server, hence the retries)."""
    url = instance.url.rstrip("/") + FOCUS_PATH
    deadline = time.monotonic() + wait_s
    while True:
        try:
            response = httpx.post(url, headers={FOCUS_HEADER: instance.token}, timeout=5.0)
        except httpx.HTTPError:
            response = None
        if response is not None and response.status_code == 200:
            answer: dict[str, Any] = response.json()
            return answer
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.25)
