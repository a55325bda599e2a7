"""The launcher: runs the slot the pointer names and starts it again when it asks.

It stays outside the slots (an update never replaces it). A child that exits with
RESTART_EXIT moved the pointer (a restart into an update, or a rollback) and is started
again from the new slot. A pending version that dies before its health check passes (a
crash on start, a missing library) is rolled back here, since it could not do it itself.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from stocky.edge.updates.service import RESTART_EXIT, roll_back_state
from stocky.edge.updates.slots import Install

log = logging.getLogger(__name__)


def launch(root: Path, args: Sequence[str]) -> int:
    """Run the current slot with `args` until it exits for good; returns its exit code."""
    install = Install(root)
    child: subprocess.Popen[bytes] | None = None
    stopping = False

    def forward(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    previous = {
        signum: signal.signal(signum, forward) for signum in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        while True:
            slot = install.pointed()
            entry = install.entry(slot)
            version = install.manifest(slot).version
            env = {**os.environ, "STOCKY_EDGE_INSTALL_ROOT": str(root)}
            log.info("starting %s from slot %s", version, slot)
            child = subprocess.Popen([str(entry), *args], env=env)
            code = child.wait()
            if stopping:
                return code
            if code == RESTART_EXIT:
                continue
            pending = install.load().pending
            if code != 0 and pending and pending.get("slot") == slot:
                reason = f"exited with {code} before its health check"
                roll_back_state(install, slot, version, reason)
                continue
            return code
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
