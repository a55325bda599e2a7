"""The demo's cajas: activated with `stocky edge activate`, run as `stocky edge run` processes,
and driven through their local API like the caja's screen would.
"""

from __future__ import annotations

import inspect
import subprocess
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any

import httpx

from stocky.demo.catalog import DemoProduct
from stocky.demo.processes import Children, stocky_command, tail, wait_http
from stocky.demo.proxy import TcpProxy
from stocky.edge.config import store_path
from stocky.edge.store import Store

STARTUP_TIMEOUT_S = 60.0
CASH_NOTE = Decimal("10000")
# Demo-friendly sync timings: a ping a second so going offline and back shows at once.
DEMO_EDGE_ENV = {"STOCKY_EDGE_PING_SECONDS": "1", "STOCKY_EDGE_PULL_POLL_SECONDS": "3"}


class CajaError(RuntimeError):
    """A caja step failed; the message names the caja and the step."""


def activate_caja(cloud_url: str, code: str, data_dir: Path, name: str, log: Path) -> None:
    """Run `stocky edge activate` (the command a person runs once per caja)."""
    args = stocky_command(
        "edge", "activate", "--cloud", cloud_url, "--code", code, "--data-dir", str(data_dir)
    )
    with log.open("ab") as out:
        done = subprocess.run(
            [*args, "--name", name], stdout=out, stderr=subprocess.STDOUT, check=False, timeout=120
        )
    if done.returncode != 0:
        raise CajaError(f"activating {name} failed:\n{tail(log)}")


def route_through(data_dir: Path, proxy: TcpProxy) -> None:
    """Point the activated caja at the demo's proxy instead of the cloud's own URL.

    Activation stores the URL the cloud announces; the demo puts its cable (the proxy) in
    between so it can pull the plug on one caja without touching the cloud.
    """
    with Store.open(store_path(data_dir)) as store:
        store.write(
            lambda conn: conn.execute(
                "UPDATE sede_info SET cloud_url = ? WHERE id = 1", (proxy.url,)
            )
        )


def _run_flags() -> list[str]:
    # The caja's screens stay up (the demo prints their URLs); only the browser is not
    # opened, one tab per caja at once would be noise.
    from stocky.edge.cli import run

    params = inspect.signature(run).parameters
    return ["--no-browser"] if "no_browser" in params else []


@dataclass
class Caja:
    name: str
    sede_name: str
    sede_id: str
    data_dir: Path
    port: int
    proxy: TcpProxy
    log: Path
    # Extra settings: the LAN's, for cajas that share a sede.
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    http: httpx.AsyncClient = field(init=False)
    recorded_sales: int = 0
    sales_at_close: int | None = None

    @property
    def screen_url(self) -> str:
        """The caja's point-of-sale screen (its login page), for a browser."""
        return f"http://127.0.0.1:{self.port}/login"

    def __post_init__(self) -> None:
        self.http = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{self.port}/local/api", timeout=30
        )

    async def start(self, children: Children) -> None:
        args = stocky_command(
            "edge", "run", "--data-dir", str(self.data_dir), "--port", str(self.port), *_run_flags()
        )
        self.proc = children.start(self.name, args, log=self.log, env=DEMO_EDGE_ENV | self.env)
        await wait_http(
            f"http://127.0.0.1:{self.port}/local/api/status",
            self.proc,
            name=self.name,
            timeout=STARTUP_TIMEOUT_S,
            log=self.log,
        )

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.http.request(method, path, **kwargs)
        if response.status_code >= 300:
            raise CajaError(
                f"{self.name}: {method} {path}: HTTP {response.status_code}: {response.text[:300]}"
            )
        return response.json()

    async def login(self, email: str, password: str) -> None:
        answer = await self._call("POST", "/login", json={"email": email, "password": password})
        self.http.headers["Authorization"] = f"Bearer {answer['access_token']}"

    async def open_shift(self, opening_float: Decimal) -> None:
        await self._call("POST", "/shifts/open", json={"opening_float": str(opening_float)})

    async def sell(self, lines: list[tuple[DemoProduct, Decimal]], method: str) -> None:
        total = sum((p.price * qty for p, qty in lines), Decimal("0"))
        # Cash customers hand over round notes and get change; cards pay the exact total.
        paid = (
            (total / CASH_NOTE).to_integral_value(ROUND_CEILING) * CASH_NOTE
            if method == "cash"
            else total
        )
        body = {
            "lines": [{"barcode": p.barcode, "quantity": str(qty)} for p, qty in lines],
            "payments": [{"method": method, "amount": str(paid.quantize(Decimal("0.01")))}],
        }
        await self._call("POST", "/sales", json=body)
        self.recorded_sales += 1

    async def close_shift(self) -> dict[str, Any]:
        """Close the shift (Z report); the caja flushes its outbox to the cloud first."""
        shift: dict[str, Any] = await self._call(
            "POST", "/shifts/close", json={"counted_cash": "0.00"}
        )
        self.sales_at_close = int(shift["z_report"]["sales_count"])
        return shift

    async def lan(self) -> dict[str, Any]:
        """The caja's place on its sede's LAN: role, epoch, master (GET /status)."""
        lan: dict[str, Any] = (await self.status())["lan"]
        return lan

    async def status(self) -> dict[str, Any]:
        status: dict[str, Any] = await self._call("GET", "/status")
        return status

    async def stock(self) -> dict[str, Decimal]:
        page = await self._call("GET", "/inventory", params={"limit": 1000})
        if page["total"] > len(page["items"]):
            raise CajaError(f"{self.name}: more products than one inventory page")
        return {item["product_id"]: Decimal(item["quantity"]) for item in page["items"]}

    async def quantity(self, sku: str) -> Decimal:
        """One product's stock at this caja."""
        page = await self._call("GET", "/inventory", params={"limit": 1000})
        for item in page["items"]:
            if item["sku"] == sku:
                return Decimal(item["quantity"])
        return Decimal(0)

    async def aclose(self) -> None:
        await self.http.aclose()
