"""Two locally built versions through the real path: `stocky release publish` into the
folder the live cloud serves at /updates, a caja run by the launcher from a two-slot
install, TUF verification, the restart at a safe moment, the first start's health check,
and the reports owners read.

A good update: staged in slot b, switched, healthy, the new version serves the sale the old
one recorded (same caja.db). A bad one (a build whose sync the cloud refuses): its health
check fails, the launcher starts the previous slot again, that one sells, and the failure
reaches the owner's API.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from stocky.cli import app
from stocky.cloud.config import Settings
from stocky.edge.updates.slots import Install, init_install
from stocky.release.repository import init_keys
from tests.edge.sync.live_shop import PASSWORD, Shop, seed_shop
from tests.edge.updates.apps import ENTRY, build_app
from tests.fixtures.cloud_process import free_port

WAIT_S = 90.0


def _wait_for(what: str, probe: Callable[[], Any], proc: subprocess.Popen[bytes], log: Path) -> Any:
    deadline = time.monotonic() + WAIT_S
    while True:
        try:
            found = probe()
            if found:
                return found
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, f"the launcher exited:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"waited for {what}:\n{log.read_text()}"
        time.sleep(0.3)


def _publish(bundle: Path, version: str, repo: Path, keys: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "release",
            "publish",
            "--bundle",
            str(bundle),
            "--version",
            version,
            "--channel",
            "stable",
            "--repo-dir",
            str(repo),
            "--keys-dir",
            str(keys),
            "--entry",
            ENTRY,
        ],
    )
    assert result.exit_code == 0, result.output


class Caja:
    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.headers: dict[str, str] = {}

    def update(self) -> dict[str, Any]:
        response = httpx.get(f"{self.base}/local/update", timeout=3)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def login(self) -> None:
        r = httpx.post(
            f"{self.base}/local/api/login",
            json={"email": "caja@example.com", "password": PASSWORD},
            timeout=10,
        )
        assert r.status_code == 200, r.text
        self.headers = {"Authorization": f"Bearer {r.json()['access_token']}"}

    def sell(self, shop: Shop) -> dict[str, Any]:
        body = {
            "lines": [{"product_id": shop.product, "quantity": "1"}],
            "payments": [{"method": "cash", "amount": "5000"}],
        }
        r = httpx.post(f"{self.base}/local/api/sales", json=body, headers=self.headers, timeout=10)
        assert r.status_code == 201, r.text
        sale: dict[str, Any] = r.json()
        return sale


@pytest.fixture
def launched(
    live_cloud: str, settings: Settings, tmp_path: Path
) -> Iterator[tuple[Shop, Caja, Install, Path, Path, subprocess.Popen[bytes], Path]]:
    shop = seed_shop(live_cloud, tmp_path / "data")
    keys = tmp_path / "keys"
    init_keys(keys)
    install = init_install(
        tmp_path / "caja",
        build_app(tmp_path / "build-1.2.0", "1.2.0"),
        version="1.2.0",
        entry=ENTRY,
        trusted_root=keys / "root.json",
    )
    port = free_port()
    env = {
        **os.environ,
        "STOCKY_EDGE_UPDATE_URL": f"{live_cloud}/updates",
        "STOCKY_EDGE_UPDATE_CHECK_HOURS": "0.0003",  # about a second: the test publishes
        "STOCKY_EDGE_UPDATE_HEALTH_SECONDS": "60",
        "STOCKY_EDGE_LAN": "off",
    }
    log = tmp_path / "caja.log"
    with log.open("wb") as out:
        launcher = [
            sys.executable,
            "-m",
            "stocky",
            "updates",
            "launch",
            "--root",
            str(install.root),
        ]
        caja_args = [
            "edge",
            "run",
            "--headless",
            "--data-dir",
            str(shop.data_dir),
            "--port",
            str(port),
        ]
        proc = subprocess.Popen(
            [*launcher, "--", *caja_args],
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    try:
        yield shop, Caja(port), install, keys, settings.data_dir / "updates", proc, log
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _reports(shop: Shop) -> list[dict[str, Any]]:
    r = httpx.get(f"{shop.url}/api/update-reports", headers=shop.owner, timeout=10)
    assert r.status_code == 200, r.text
    reports: list[dict[str, Any]] = r.json()
    return reports


def test_a_good_update_then_a_bad_one_rolled_back(
    launched: tuple[Shop, Caja, Install, Path, Path, subprocess.Popen[bytes], Path],
    tmp_path: Path,
) -> None:
    shop, caja, install, keys, repo, proc, log = launched
    status = _wait_for("the caja to answer", caja.update, proc, log)
    assert status["version"] == "1.2.0"
    # Nothing published yet: the channel answers 404, the check fails quietly, selling goes on.
    _wait_for("a first check", lambda: caja.update()["last_check"], proc, log)
    assert caja.update()["last_check"]["outcome"] == "unreachable"
    caja.login()
    r = httpx.post(
        f"{caja.base}/local/api/shifts/open", json={"opening_float": "0"}, headers=caja.headers
    )
    assert r.status_code == 201, r.text
    sale = caja.sell(shop)

    _publish(build_app(tmp_path / "build-1.3.0", "1.3.0"), "1.3.0", repo, keys)
    ready = _wait_for("1.3.0 staged", lambda: caja.update()["ready"], proc, log)
    assert ready == {"slot": "b", "version": "1.3.0"}
    assert install.pointed() == "a"
    r = httpx.post(f"{caja.base}/local/update/restart", headers=caja.headers, timeout=10)
    assert r.status_code == 200, r.text
    assert r.json() == {"restarting_into": "1.3.0"}

    def healthy_on(version: str) -> bool:
        now = caja.update()
        return now["version"] == version and now["health"] == "ok"

    _wait_for("1.3.0 healthy", lambda: healthy_on("1.3.0"), proc, log)
    assert install.pointed() == "b"
    assert (install.root / "slots" / "b" / "VERSION").read_text() == "1.3.0\n"
    assert list((shop.data_dir / "backups").glob("caja-*-before-update.db"))
    caja.login()  # a new process: the old session token is still in the same caja.db
    r = httpx.get(f"{caja.base}/local/api/sales/{sale['id']}", headers=caja.headers, timeout=10)
    assert r.status_code == 200, r.text
    assert r.json()["total"] == sale["total"]
    installed = _wait_for(
        "the install report",
        lambda: [x for x in _reports(shop) if x["outcome"] == "installed"],
        proc,
        log,
    )
    assert (installed[0]["version"], installed[0]["previous_version"]) == ("1.3.0", "1.2.0")

    # A build whose sync the cloud refuses (a wrong API path baked in): it must not stay.
    bad = build_app(
        tmp_path / "build-1.4.0", "1.4.0", env={"STOCKY_EDGE_CLOUD_URL": f"{shop.url}/broken"}
    )
    _publish(bad, "1.4.0", repo, keys)
    _wait_for("1.4.0 staged", lambda: (caja.update()["ready"] or {}).get("version"), proc, log)
    r = httpx.post(f"{caja.base}/local/update/restart", headers=caja.headers, timeout=10)
    assert r.status_code == 200, r.text

    def rolled_back() -> bool:
        now = caja.update()
        return healthy_on("1.3.0") and (now["last_failure"] or {}).get("version") == "1.4.0"

    _wait_for("the rollback to 1.3.0", rolled_back, proc, log)
    assert install.pointed() == "b"
    failure = caja.update()["last_failure"]
    assert "refused" in failure["reason"]
    caja.login()
    caja.sell(shop)  # the old version keeps selling
    reported = _wait_for(
        "the rollback report",
        lambda: [x for x in _reports(shop) if x["outcome"] == "rolled_back"],
        proc,
        log,
    )
    assert reported[0]["version"] == "1.4.0"
    assert reported[0]["previous_version"] == "1.3.0"
    assert "refused" in reported[0]["reason"]
    # The failed version is not offered again: nothing is staged.
    assert caja.update()["ready"] is None
