"""A sale made at a real caja shows on the owner's dashboard without a reload.

The caja is activated from the CLI (`stocky edge activate`) and runs as a process
(`stocky edge run --headless`); a cashier sells through its local API; the cloud's change
notice (after the push commits) reaches the dashboard's page in-process and it redraws.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cloud.admin.conftest import PHONE, WIDE, expect, shot, sign_in
from tests.fixtures.cloud_admin import PASSWORD, CloudAdmin
from tests.fixtures.cloud_process import CloudProcess, free_port

CAJA_ENV = {"STOCKY_EDGE_PING_SECONDS": "1", "STOCKY_EDGE_PULL_POLL_SECONDS": "3"}


def _stocky(*args: str) -> list[str]:
    return [sys.executable, "-m", "stocky", *args]


@pytest.fixture
def caja_process(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Filled in by the test (activation needs its code); killed at the end."""
    held: dict[str, Any] = {}
    yield held
    proc = held.get("proc")
    if proc is not None and proc.poll() is None:
        proc.kill()
        proc.wait()


def start_caja(cloud: str, code: str, tmp_path: Path, held: dict[str, Any]) -> str:
    data = tmp_path / "caja"
    log = tmp_path / "caja.log"
    env = {**os.environ, **CAJA_ENV}
    activated = subprocess.run(
        _stocky(
            "edge", "activate", "--cloud", cloud, "--code", code,
            "--data-dir", str(data), "--name", "Caja 1",
        ),
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert activated.returncode == 0, activated.stdout + activated.stderr
    port = free_port()
    with log.open("wb") as err:
        held["proc"] = subprocess.Popen(
            _stocky("edge", "run", "--headless", "--data-dir", str(data), "--port", str(port)),
            env=env, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True,
        )  # fmt: skip
    local = f"http://127.0.0.1:{port}/local/api"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{local}/status", timeout=1).status_code == 200:
                return local
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)


def test_a_sale_at_the_caja_appears_on_the_dashboard_live(
    new_page: Any,
    owner: CloudAdmin,
    cloud_process: CloudProcess,
    caja_process: dict[str, Any],
    tmp_path: Path,
):
    sede = owner.sede("Sede Centro")
    owner.sede("Sede Norte")
    owner.user("cajero@example.com", "Carlos Cajero", "cashier", sede)
    owner.product(sku="ARROZ-1", name="Arroz 1 kg", barcode="7702001000011", price="4500")
    owner.opening(sede, {"ARROZ-1": "20"})
    page = new_page(WIDE)
    sign_in(page)
    expect(page.get_by_test_id("today")).to_have_text("$ 0")
    expect(page.get_by_test_id(f"sede-online-{sede}")).to_have_text("Sin conexión")

    local = start_caja(cloud_process.url, owner.activation_code(sede), tmp_path, caja_process)
    # The caja's socket connecting is the sede coming online: the page redraws by itself.
    expect(page.get_by_test_id(f"sede-online-{sede}")).to_have_text("En línea", timeout=30_000)

    with httpx.Client(base_url=local, timeout=30) as caja:
        login = caja.post("/login", json={"email": "cajero@example.com", "password": PASSWORD})
        assert login.status_code == 200, login.text
        caja.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        total = Decimal("4500") * 2
        sold = caja.post(
            "/sales",
            json={
                "lines": [{"barcode": "7702001000011", "quantity": "2"}],
                "payments": [{"method": "cash", "amount": str(total)}],
            },
        )
        assert sold.status_code == 201, sold.text
    # No reload: the push commits, the notice reaches the page, the figure moves.
    expect(page.get_by_test_id("today")).to_have_text("$ 9.000", timeout=30_000)
    expect(page.get_by_test_id("today-count")).to_have_text("1 venta")
    expect(page.get_by_test_id(f"today-sede-{sede}")).to_contain_text("$ 9.000")
    shot(page, "dashboard")
    phone = new_page(PHONE)
    sign_in(phone)
    expect(phone.get_by_test_id("today")).to_have_text("$ 9.000")
    shot(phone, "dashboard")
