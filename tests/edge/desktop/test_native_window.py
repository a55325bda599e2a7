"""The caja's own window, for real: `stocky edge run` with no flag under Xvfb opens the
pywebview window (GTK, WebKit2GTK) on its screens, and a second launch raises it.

Skipped without Xvfb or Debian's GTK bindings (python3-gi, gir1.2-webkit2-4.1): the venv
sees only those bindings, through a folder of links put on PYTHONPATH.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.edge.desktop.test_single_instance import instance
from tests.fixtures.cloud_process import free_port

DIST = Path("/usr/lib/python3/dist-packages")
XVFB = shutil.which("Xvfb")
WEBKIT = Path("/usr/lib/x86_64-linux-gnu/girepository-1.0/WebKit2-4.1.typelib")

pytestmark = pytest.mark.skipif(
    XVFB is None or not (DIST / "gi").is_dir() or not WEBKIT.exists(),
    reason="needs Xvfb, python3-gi and gir1.2-webkit2-4.1",
)


@pytest.fixture
def display() -> Iterator[str]:
    assert XVFB is not None
    xvfb = subprocess.Popen(
        [XVFB, "-displayfd", "1", "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert xvfb.stdout is not None
    number = xvfb.stdout.readline().strip()
    assert number.isdigit(), "Xvfb did not start"
    try:
        yield f":{number}"
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=20)


def gtk_env(tmp_path: Path, display: str) -> dict[str, str]:
    links = tmp_path / "gtk-bindings"
    links.mkdir()
    for name in ("gi", "cairo"):
        if (DIST / name).exists():
            (links / name).symlink_to(DIST / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOCKY_")}
    env.pop("WAYLAND_DISPLAY", None)
    return env | {"DISPLAY": display, "PYTHONPATH": str(links), "PYWEBVIEW_GUI": "gtk"}


def test_the_window_opens_and_comes_to_front(tmp_path: Path, display: str) -> None:
    env = gtk_env(tmp_path, display)
    data_dir = tmp_path / "caja"
    port = free_port()
    log = tmp_path / "caja.log"
    args = ["edge", "run", "--data-dir", str(data_dir), "--port", str(port)]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "stocky", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    try:
        # The window's WebKit asking for the page is what proves it opened on the screens.
        deadline = time.monotonic() + 90
        while '"GET / HTTP/1.1" 200' not in log.read_text(errors="replace"):
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"no window loaded the page:\n{log.read_text()}"
            time.sleep(0.25)
        assert instance(data_dir)["mode"] == "native"
        assert "sin ventana propia" not in log.read_text()

        second = subprocess.run(
            [sys.executable, "-m", "stocky", *args[:4]],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert second.returncode == 0, second.stdout + second.stderr
        assert "La caja ya está abierta; se trajo al frente" in second.stdout
        assert proc.poll() is None
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=20)
