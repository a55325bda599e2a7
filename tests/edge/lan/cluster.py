"""Cajas of one sede as real `stocky edge run --headless` processes on loopback, each with
its own SQLite, LAN port and local API, peers listed statically. The test sells through
each caja's local API and reads what every caja and the cloud hold."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from stocky.edge.api.app import PREFIX
from tests.edge.sync.live_shop import PASSWORD, Shop
from tests.fixtures.cloud_process import free_port

STARTUP_TIMEOUT_S = 60.0


def wait_for(what: str, predicate: Callable[[], Any], timeout: float = 60.0) -> Any:
    """Poll until `predicate` is truthy (a readiness wait, not a timed assertion)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except httpx.HTTPError:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@dataclass
class CajaProcess:
    name: str
    data_dir: Path
    api_port: int
    lan_port: int
    log_path: Path
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    token: str | None = None
    _http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10.0))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}{PREFIX}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        assert not self.running
        args = ["edge", "run", "--headless", "--data-dir", str(self.data_dir)]
        args += ["--port", str(self.api_port)]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "stocky", *args],
                env=self.env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        wait_for(f"{self.name} to serve", self._serving, STARTUP_TIMEOUT_S)

    def _serving(self) -> bool:
        if not self.running:
            raise AssertionError(f"{self.name} exited:\n{self.log_path.read_text()[-3000:]}")
        return self._http.get(f"{self.url}/status", timeout=1.0).status_code == 200

    def kill(self) -> None:
        """SIGKILL, as a power cut."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None
        self.token = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None
        self.token = None
        self._http.close()

    # The local API ---------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        response = self._http.get(f"{self.url}/status")
        response.raise_for_status()
        return dict(response.json())

    def lan(self) -> dict[str, Any]:
        return dict(self.status()["lan"])

    def _headers(self) -> dict[str, str]:
        if self.token is None:
            r = self._http.post(
                f"{self.url}/login", json={"email": "caja@example.com", "password": PASSWORD}
            )
            assert r.status_code == 200, r.text
            self.token = str(r.json()["access_token"])
            current = self._http.get(f"{self.url}/shifts/current", headers=self._auth())
            if current.status_code != 200 or not current.json():
                r = self._http.post(
                    f"{self.url}/shifts/open", json={"opening_float": "0"}, headers=self._auth()
                )
                assert r.status_code == 201, r.text
        return self._auth()

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def sell(self, shop: Shop, quantity: str = "1") -> str:
        body = {
            "lines": [{"product_id": shop.product, "quantity": quantity}],
            "payments": [{"method": "cash", "amount": "999999"}],
        }
        r = self._http.post(f"{self.url}/sales", json=body, headers=self._headers())
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def own_sales(self) -> set[str]:
        """The ids of the sales rung up at this caja (its own tickets, not relayed ones)."""
        response = self._http.get(f"{self.url}/sales?limit=200", headers=self._headers())
        response.raise_for_status()
        return {str(t["id"]) for t in response.json()["items"]}

    def stock(self, shop: Shop) -> str | None:
        r = self._http.get(f"{self.url}/inventory", headers=self._headers())
        r.raise_for_status()
        for item in r.json()["items"]:
            if item["product_id"] == shop.product:
                return str(item["quantity"])
        return None


def cloud_sales(shop: Shop) -> list[str]:
    """The ids of the sede's sales the cloud holds (a duplicate would show twice)."""
    response = httpx.get(
        f"{shop.url}/api/sales",
        params={"sede_id": shop.sede, "limit": 200},
        headers=shop.owner,
        timeout=30,
    )
    response.raise_for_status()
    return [str(s["id"]) for s in response.json()["items"]]


def lan_env(
    base: dict[str, str], *, cloud_url: str, lan_port: int, peers: list[int]
) -> dict[str, str]:
    return {
        **base,
        "STOCKY_EDGE_CLOUD_URL": cloud_url,
        "STOCKY_EDGE_LAN": "on",
        "STOCKY_EDGE_LAN_HOST": "127.0.0.1",
        "STOCKY_EDGE_LAN_PORT": str(lan_port),
        "STOCKY_EDGE_LAN_PEERS": ",".join(f"127.0.0.1:{p}" for p in peers),
        # Quick failover, so tests wait seconds, not tens of seconds.
        "STOCKY_EDGE_LAN_HEARTBEAT_SECONDS": "0.3",
        "STOCKY_EDGE_LAN_MASTER_TIMEOUT_SECONDS": "1.5",
        "STOCKY_EDGE_PING_SECONDS": "1",
    }


def sede_cajas(shop: Shop, tmp_path: Path) -> list[CajaProcess]:
    """One CajaProcess per activated data dir of the shop, LAN ports assigned, not started."""
    lan_ports = [free_port() for _ in shop.data_dirs]
    cajas = []
    for n, data_dir in enumerate(shop.data_dirs, start=1):
        peers = [p for i, p in enumerate(lan_ports, start=1) if i != n]
        env = lan_env(dict(os.environ), cloud_url=shop.url, lan_port=lan_ports[n - 1], peers=peers)
        cajas.append(
            CajaProcess(
                name=f"caja {n}",
                data_dir=data_dir,
                api_port=free_port(),
                lan_port=lan_ports[n - 1],
                log_path=tmp_path / f"caja{n}.log",
                env=env,
            )
        )
    return cajas
