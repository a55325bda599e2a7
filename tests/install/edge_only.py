"""The second half of tests/install/edge_only.sh: a caja from an edge-only venv sells to a
cloud from the full venv (and of tests/install/bundle.sh: the same from the bundled caja).

Run by the full venv's python (it starts the cloud and seeds it with the demo's owner steps,
stocky.demo.seed); every caja command runs from `--edge-venv`'s `stocky edge`, or from
`--caja` (a command that takes the caja's subcommands, like dist/stocky-caja/stocky-caja),
so the caja that activates, sells and pushes is that install. `--screens` runs it with its
screens and fetches the first page and its NiceGUI files; `--no-python-env` runs it with a
PATH of /usr/bin:/bin and an empty PYTHONPATH (a bundle must need no Python). Exits
non-zero, with the logs' tails, on the first step that fails.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shlex
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from stocky.demo.cajas import DEMO_EDGE_ENV
from stocky.demo.processes import (
    Children,
    free_port,
    stocky_command,
    stop_embedded_postgres,
    tail,
    wait_http,
)
from stocky.demo.seed import owner_headers, seed_tenant

START_TIMEOUT_S = 120.0  # the cloud's first start creates its embedded PostgreSQL
SYNC_TIMEOUT_S = 60.0


def _ok(response: httpx.Response, step: str) -> Any:
    if response.status_code >= 300:
        raise SystemExit(f"FAIL {step}: HTTP {response.status_code}: {response.text[:300]}")
    return response.json()


async def run(
    caja_cmd: list[str], work: Path, *, screens: bool = False, no_python_env: bool = False
) -> None:
    children = Children()
    logs = work / "logs"
    # The cloud and the caja read only what this script gives them.
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("STOCKY_")}
    os.environ.clear()
    os.environ.update(clean_env)
    caja_env = (
        {"PATH": "/usr/bin:/bin", "PYTHONPATH": "", "VIRTUAL_ENV": ""} if no_python_env else {}
    )
    try:
        cloud_port = free_port()
        cloud_url = f"http://127.0.0.1:{cloud_port}"
        cloud_log = logs / "cloud.log"
        cloud = children.start(
            "the cloud",
            stocky_command(
                "cloud", "serve", "--data-dir", str(work / "cloud"), "--port", str(cloud_port)
            ),
            log=cloud_log,
        )
        await wait_http(
            f"{cloud_url}/health", cloud, name="the cloud", timeout=START_TIMEOUT_S, log=cloud_log
        )
        print(f"cloud at {cloud_url} (from {sys.executable})")

        async with httpx.AsyncClient(base_url=cloud_url, timeout=60) as http:
            tenant = await seed_tenant(http)
        sede = tenant.sedes[0]
        product = tenant.products[0]

        caja_dir = work / "caja"
        caja_log = logs / "caja.log"
        activate = children.start(
            "edge activate",
            [
                *caja_cmd,
                *("activate", "--cloud", cloud_url, "--code", sede.activation_codes[0]),
                *("--data-dir", str(caja_dir), "--name", "caja-edge-only"),
            ],
            log=caja_log,
            env=caja_env,
        )
        if activate.wait(timeout=120) != 0:
            raise SystemExit(f"FAIL activation from {caja_cmd[0]}:\n{tail(caja_log)}")
        print(f"caja activated in {sede.name} (from {caja_cmd[0]})")

        caja_port = free_port()
        caja = children.start(
            "the caja",
            [
                *caja_cmd,
                *("run", "--no-browser" if screens else "--headless", "--data-dir", str(caja_dir)),
                *("--port", str(caja_port)),
            ],
            log=caja_log,
            env=DEMO_EDGE_ENV | caja_env,
        )
        local = f"http://127.0.0.1:{caja_port}/local/api"
        await wait_http(
            f"{local}/status", caja, name="the caja", timeout=START_TIMEOUT_S, log=caja_log
        )
        if screens:
            await _check_screens(f"http://127.0.0.1:{caja_port}")
        async with httpx.AsyncClient(base_url=local, timeout=30) as api:
            login = _ok(
                await api.post(
                    "/login",
                    json={"email": sede.cashier_email, "password": tenant.cashier_password},
                ),
                "cashier login at the caja",
            )
            api.headers["Authorization"] = f"Bearer {login['access_token']}"
            _ok(await api.post("/shifts/open", json={"opening_float": "0.00"}), "open shift")
            quantity = Decimal("2")
            total = (product.price * quantity).quantize(Decimal("0.01"))
            sale = _ok(
                await api.post(
                    "/sales",
                    json={
                        "lines": [{"barcode": product.barcode, "quantity": str(quantity)}],
                        "payments": [{"method": "cash", "amount": str(total)}],
                    },
                ),
                "sale at the caja",
            )
        print(f"sold {sale['number']} ({total}) at the caja")

        await _wait_for_sale_in_cloud(cloud_url, sede.id, sale["id"], caja_log)
        print(f"sale {sale['number']} reached the cloud")
    finally:
        children.stop_all()
        stop_embedded_postgres(work / "cloud" / "postgres")


async def _check_screens(caja_url: str) -> None:
    """The first page renders, with NiceGUI's own files (the ones a bundle may leave out)."""
    async with httpx.AsyncClient(base_url=caja_url, timeout=30, follow_redirects=True) as http:
        page = await http.get("/")
        if page.status_code != 200 or "Stocky" not in page.text:
            raise SystemExit(f"FAIL the caja's first page: HTTP {page.status_code}")
        assets = sorted(set(re.findall(r'"(/_nicegui/[^"?]+\.(?:js|css))"', page.text)))
        if not assets:
            raise SystemExit("FAIL the caja's first page links none of NiceGUI's files")
        for asset in assets:
            answer = await http.get(asset)
            if answer.status_code != 200 or not answer.content:
                raise SystemExit(f"FAIL the caja's {asset}: HTTP {answer.status_code}")
    print(f"the caja's first page and its {len(assets)} NiceGUI files load")


async def _wait_for_sale_in_cloud(cloud_url: str, sede_id: str, sale_id: str, log: Path) -> None:
    """Poll the cloud's movements of the sede until the sale's show up (pushed by the caja)."""
    deadline = time.monotonic() + SYNC_TIMEOUT_S
    async with httpx.AsyncClient(base_url=cloud_url, timeout=30) as http:
        owner = await owner_headers(http)
        while True:
            page = _ok(
                await http.get(
                    "/api/transactions",
                    params={"sede_id": sede_id, "type": "sale"},
                    headers=owner,
                ),
                "movements in the cloud",
            )
            if any(item["sale_id"] == sale_id for item in page["items"]):
                return
            if time.monotonic() > deadline:
                raise SystemExit(
                    f"FAIL the sale did not reach the cloud in {SYNC_TIMEOUT_S:.0f} s; "
                    f"the caja's log:\n{tail(log, 30)}"
                )
            await asyncio.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    caja = parser.add_mutually_exclusive_group(required=True)
    caja.add_argument("--edge-venv", type=Path, help="a venv with stocky[edge]: its stocky edge")
    caja.add_argument("--caja", help="the caja's command, like dist/stocky-caja/stocky-caja")
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--screens", action="store_true", help="run with screens, fetch /")
    parser.add_argument("--no-python-env", action="store_true", help="caja without venv PATH")
    args = parser.parse_args()
    if args.caja:
        caja_cmd = shlex.split(args.caja)
    else:
        caja_cmd = [str(args.edge_venv / "bin" / "stocky"), "edge"]
    asyncio.run(run(caja_cmd, args.work, screens=args.screens, no_python_env=args.no_python_env))


if __name__ == "__main__":
    main()
