"""Child processes of the demo: each in its own process group, all stopped on the way out.

Children run in their own session so a Ctrl-C in the terminal reaches only the demo, which
then stops them in order (cajas first, the cloud last, so the embedded PostgreSQL shuts down
cleanly). On Linux a child also gets SIGTERM if the demo dies without cleaning up.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

STOP_GRACE_S = 15.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def stocky_command(*args: str) -> list[str]:
    """`stocky ARGS` with this interpreter (works without the venv on PATH)."""
    return [sys.executable, "-m", "stocky", *args]


class Children:
    """The processes the demo started, stopped in reverse order of start."""

    def __init__(self) -> None:
        self._procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(
        self, name: str, args: Sequence[str], *, log: Path, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            proc = subprocess.Popen(
                list(args),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        self._procs.append((name, proc))
        return proc

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL one child's group, as a power cut, and stop watching it."""
        _signal_group(proc, signal.SIGKILL)
        proc.wait(timeout=10)
        self._procs = [(name, p) for name, p in self._procs if p is not proc]

    def check_alive(self) -> None:
        for name, proc in self._procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with code {proc.returncode}")

    def stop_all(self) -> None:
        """SIGTERM each process group, newest first; SIGKILL what does not stop in time."""
        for _name, proc in reversed(self._procs):
            _signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(timeout=5)
        self._procs.clear()


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


async def wait_http(
    url: str, proc: subprocess.Popen[bytes], *, name: str, timeout: float, log: Path
) -> None:
    """Poll `url` until it answers 200; fail early, with the log's tail, if the process died."""
    import asyncio

    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2.0) as client:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with code {proc.returncode}:\n{tail(log)}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(url)).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not answer at {url} in {timeout:.0f} s")
            await asyncio.sleep(0.2)


def tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def stop_embedded_postgres(pgdata: Path, timeout: float = 15.0) -> None:
    """Stop the embedded PostgreSQL the demo's cloud ran in `pgdata`, if it still runs.

    The cloud stops it on a clean exit, but not when killed, nor when it runs as root
    (pgserver then runs pg_ctl as another user, which may fail): the demo makes sure.
    """
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        cmdline = ""
    if cmdline and str(pgdata) not in cmdline:
        return  # the pid was reused by an unrelated process
    # SIGINT is PostgreSQL's "fast" shutdown; SIGQUIT its immediate one.
    for sig, wait in ((signal.SIGINT, timeout), (signal.SIGQUIT, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _running(pid):
                return
            time.sleep(0.1)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][:1]
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state not in ("Z", "X")  # a zombie has already stopped
