"""One caja per data dir, over real processes: a second `stocky edge run` on the same data
dir hands over to the running one (which hears the focus request) and exits 0; kill -9
leaves a lock file that blocks nothing; two data dirs run side by side."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from stocky.edge.cli import edge_app
from stocky.edge.desktop.single_instance import (
    FOCUS_HEADER,
    INSTANCE_FILE,
    LOCK_FILE,
    AlreadyRunningError,
    Instance,
    InstanceLock,
    lock_is_held,
)
from tests.edge.factories import create_activated_store
from tests.fixtures.cloud_process import free_port

STARTUP_S = 60
# A second launch waits up to 30 s for a caja still starting; a running one answers at once.
HAND_OVER_S = 45


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOCKY_")}
    # Like a CI box: no desktop, so nothing opens whatever the mode.
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return env | extra


@dataclass
class CajaProcess:
    data_dir: Path
    port: int
    log: Path
    proc: subprocess.Popen[bytes]
    mode: list[str] = field(default_factory=lambda: ["--no-browser"])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_up(self, path: str = "/login") -> None:
        deadline = time.monotonic() + STARTUP_S
        while True:
            try:
                if httpx.get(f"{self.url}{path}", timeout=2).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            assert self.proc.poll() is None, self.log_text()
            assert time.monotonic() < deadline, f"the caja did not start:\n{self.log_text()}"
            time.sleep(0.2)

    def wait_for_log(self, text: str) -> None:
        deadline = time.monotonic() + 30
        while text not in self.log_text():
            assert time.monotonic() < deadline, f"{text!r} not in the log:\n{self.log_text()}"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=20)


class Cajas:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.started: list[CajaProcess] = []

    def start(self, data_dir: Path, *mode: str) -> CajaProcess:
        """`stocky edge run` in `mode` (--no-browser when none; "" for no flag at all)."""
        port = free_port()
        log = self.tmp_path / f"caja-{len(self.started)}.log"
        flags = [flag for flag in mode or ("--no-browser",) if flag]
        args = ["edge", "run", "--data-dir", str(data_dir), "--port", str(port), *flags]
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "stocky", *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=_env(),
                start_new_session=True,
            )
        caja = CajaProcess(data_dir, port, log, proc, flags)
        self.started.append(caja)
        return caja

    def stop_all(self) -> None:
        for caja in self.started:
            caja.stop()


@pytest.fixture
def cajas(tmp_path: Path) -> Iterator[Cajas]:
    made = Cajas(tmp_path)
    try:
        yield made
    finally:
        made.stop_all()


def second_launch(data_dir: Path, *flags: str, **env: str) -> subprocess.CompletedProcess[str]:
    # Another port on purpose: the handover must not depend on the second launch's flags.
    args = ["edge", "run", "--data-dir", str(data_dir), "--port", str(free_port()), *flags]
    return subprocess.run(
        [sys.executable, "-m", "stocky", *args],
        capture_output=True,
        text=True,
        env=_env(**env),
        timeout=HAND_OVER_S,
        check=False,
    )


def instance(data_dir: Path) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((data_dir / INSTANCE_FILE).read_text())
    return loaded


class TestSecondLaunch:
    def test_hands_over_to_the_running_caja_and_exits_0(self, cajas: Cajas, tmp_path: Path) -> None:
        first = cajas.start(tmp_path / "caja")
        first.wait_up()
        published = instance(first.data_dir)
        assert published["pid"] == first.proc.pid
        assert published["url"] == f"{first.url}/"
        assert published["mode"] == "screens"
        # The token lets a caller move the window: the file is the owner's alone.
        assert stat.S_IMODE((first.data_dir / INSTANCE_FILE).stat().st_mode) == 0o600

        done = second_launch(first.data_dir)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "La caja ya está abierta" in done.stdout
        assert f"{first.url}/" in done.stdout
        # The first one heard it, and is still the one serving.
        first.wait_for_log("otra apertura pidió traerla al frente")
        assert first.proc.poll() is None
        assert instance(first.data_dir)["pid"] == first.proc.pid

        english = second_launch(first.data_dir, STOCKY_UI_LANGUAGE="en")
        assert english.returncode == 0, english.stdout + english.stderr
        assert "The caja is already open at" in english.stdout
        assert first.log_text().count("otra apertura pidió traerla al frente") == 2

    def test_focus_route_wants_the_token(self, cajas: Cajas, tmp_path: Path) -> None:
        first = cajas.start(tmp_path / "caja")
        first.wait_up()
        focus = f"{first.url}/local/focus"
        for headers in ({}, {FOCUS_HEADER: "guessed"}, {FOCUS_HEADER: ""}):
            r = httpx.post(focus, headers=headers, timeout=10)
            assert r.status_code == 403, (headers, r.status_code)
            assert FOCUS_HEADER in r.json()["message"]
        assert httpx.post(focus, headers={FOCUS_HEADER: "x" * 500}, timeout=10).status_code == 422
        # A web page resolving its own name to 127.0.0.1 is stopped before the token check.
        rebound = {"Host": f"rebind.example:{first.port}", FOCUS_HEADER: "x"}
        assert httpx.post(focus, headers=rebound, timeout=10).status_code == 421
        # Only POST focuses; a GET falls through to the screens, which know no such page.
        assert httpx.get(focus, timeout=10).status_code == 404
        token = str(instance(first.data_dir)["token"])
        r = httpx.post(focus, headers={FOCUS_HEADER: token}, timeout=10)
        assert r.status_code == 200
        assert r.json() == {"mode": "screens", "focused": False, "requests": 1}

    def test_kill_9_leaves_nothing_that_blocks_a_new_start(
        self, cajas: Cajas, tmp_path: Path
    ) -> None:
        first = cajas.start(tmp_path / "caja")
        first.wait_up()
        os.killpg(first.proc.pid, signal.SIGKILL)
        first.proc.wait(timeout=20)
        # What the killed process left: its lock file and its instance file.
        assert (first.data_dir / LOCK_FILE).exists()
        assert instance(first.data_dir)["pid"] == first.proc.pid

        again = cajas.start(first.data_dir)
        again.wait_up()
        assert instance(first.data_dir)["pid"] == again.proc.pid
        assert "La caja ya está abierta" not in again.log_text()

    def test_two_data_dirs_run_side_by_side(self, cajas: Cajas, tmp_path: Path) -> None:
        one = cajas.start(tmp_path / "uno")
        two = cajas.start(tmp_path / "dos", "")  # the default mode, on a box with no desktop
        one.wait_up()
        two.wait_up()
        # The default could not open a window here, and says why, once.
        assert two.log_text().count("sin escritorio (DISPLAY and WAYLAND_DISPLAY are unset)") == 1
        assert "sin escritorio" not in one.log_text()
        assert one.proc.poll() is None
        assert two.proc.poll() is None
        assert instance(one.data_dir)["pid"] != instance(two.data_dir)["pid"]


def test_headless_holds_the_lock_too(cajas: Cajas, tmp_path: Path) -> None:
    """An activated caja under --headless: a second launch says so; set-cloud waits for it
    to close, then works."""
    made = create_activated_store(tmp_path, products=0)
    # Its cloud on a port nobody listens on: the caja runs offline.
    unreachable = f"http://127.0.0.1:{free_port()}"
    made.store.write(
        lambda conn: conn.execute("UPDATE sede_info SET cloud_url = ?", (unreachable,))
    )
    made.store.close()
    data_dir = tmp_path / "data"
    caja = cajas.start(data_dir, "--headless")
    caja.wait_up("/local/api/status")

    done = second_launch(data_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "sin pantallas (--headless)" in done.stdout

    runner = CliRunner()
    refused = runner.invoke(
        edge_app,
        ["set-cloud", "https://nube.example.com", "--no-check", "--data-dir", str(data_dir)],
    )
    assert refused.exit_code == 1
    assert "is running; close it first" in refused.output
    caja.stop()
    assert not lock_is_held(data_dir)
    moved = runner.invoke(
        edge_app,
        ["set-cloud", "https://nube.example.com", "--no-check", "--data-dir", str(data_dir)],
    )
    assert moved.exit_code == 0, moved.output
    with sqlite3.connect(data_dir / "caja.db") as conn:
        assert conn.execute("SELECT cloud_url FROM sede_info").fetchone()[0] == (
            "https://nube.example.com"
        )


class TestLockInProcess:
    def test_held_until_released(self, tmp_path: Path) -> None:
        data_dir = tmp_path / "new" / "dir"
        lock = InstanceLock.acquire(data_dir)
        assert lock_is_held(data_dir)
        with pytest.raises(AlreadyRunningError):
            InstanceLock.acquire(data_dir)
        lock.release()
        assert not lock_is_held(data_dir)
        with InstanceLock.acquire(data_dir) as again:
            assert again.held
        assert not again.held

    def test_no_lock_file_means_no_caja(self, tmp_path: Path) -> None:
        assert not lock_is_held(tmp_path)
        assert not (tmp_path / LOCK_FILE).exists()


def test_a_second_launch_checks_nothing_of_the_store_before_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cloud check reads the store, so it runs only under the lock: a second launch
    with an address the check would refuse still just hands over."""
    data_dir = tmp_path / "caja"
    monkeypatch.setenv("STOCKY_EDGE_CLOUD_URL", "http://nube.example.com")
    refused = CliRunner().invoke(edge_app, ["run", "--data-dir", str(data_dir), "--headless"])
    assert refused.exit_code == 1
    assert "nube.example.com" in refused.output
    with InstanceLock.acquire(data_dir) as lock:
        lock.publish(Instance.new(host="127.0.0.1", port=free_port(), mode="headless"))
        done = CliRunner().invoke(edge_app, ["run", "--data-dir", str(data_dir), "--headless"])
    assert done.exit_code == 0, done.output
    assert "sin pantallas (--headless)" in done.output
