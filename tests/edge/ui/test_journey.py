"""A cashier's shift in Chromium: activate, log in, open the shift, sell, stock, close.

Drives `stocky edge run` as a real subprocess against a real cloud, with Debian's Chromium
(/usr/bin/chromium). Screenshots of every main screen go to artifacts/screenshots/.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"
PASSWORD = "correct horse battery"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _seed(url: str) -> str:
    """A tenant with a sede, a manager, three products with stock; returns an activation code."""
    r = httpx.post(
        f"{url}/api/signup",
        json={"tenant_name": "Mercado La 14", "email": "owner@example.com", "password": PASSWORD},
    )
    assert r.status_code == 201, r.text
    h = {"Authorization": f"Bearer {r.json()['tokens']['access_token']}"}
    sede = httpx.post(f"{url}/api/sedes", json={"name": "Sede Centro"}, headers=h).json()["id"]
    r = httpx.post(
        f"{url}/api/users",
        json={
            "email": "ana@example.com",
            "name": "Ana Gómez",
            "password": PASSWORD,
            "role": "manager",
            "sede_id": sede,
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    products = [
        ("ARROZ-1", "Arroz Diana 1 kg", "7702001000011", "4500", "0.05", "unit"),
        ("LECHE-1", "Leche entera Alquería 1 L", "7702001000028", "3900", "0", "unit"),
        ("QUESO-K", "Queso campesino (kg)", "2000000000015", "24000", "0", "weight"),
    ]
    for sku, name, code, price, tax, unit in products:
        body = {"sku": sku, "name": name, "barcode": code, "price": price, "tax_rate": tax}
        r = httpx.post(f"{url}/api/products", json={**body, "unit": unit}, headers=h)
        assert r.status_code == 201, r.text
    lines = [{"sku": p[0], "quantity": "20"} for p in products]
    r = httpx.post(f"{url}/api/inventory/{sede}/opening", json={"lines": lines}, headers=h)
    assert r.status_code in (200, 201), r.text
    r = httpx.post(f"{url}/api/sedes/{sede}/activation-codes", headers=h)
    assert r.status_code == 201, r.text
    return str(r.json()["code"])


@pytest.fixture
def caja_url(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stocky",
            "edge",
            "run",
            "--data-dir",
            str(tmp_path / "caja"),
            "--port",
            str(port),
            "--no-browser",
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "caja.log", "wb"),
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/login", timeout=1).status_code < 500:
                break
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, (tmp_path / "caja.log").read_text()
        assert time.monotonic() < deadline, "the caja did not start"
        time.sleep(0.2)
    try:
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


def test_a_shift_at_the_caja(live_cloud: str, caja_url: str) -> None:
    code = _seed(live_cloud)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1366, "height": 800})
        page.set_default_timeout(20_000)
        tid = page.get_by_test_id

        page.goto(f"{caja_url}/")
        page.wait_for_url("**/activar")
        tid("activation-cloud").fill(live_cloud)
        tid("activation-code").fill("123456")
        page.screenshot(path=SHOTS / "01-activation.png")
        tid("activation-submit").click()
        expect(tid("activation-error")).to_contain_text("no es válido")
        tid("activation-code").fill(code)
        tid("activation-submit").click()

        page.wait_for_url("**/login")
        tid("login-email").fill("ana@example.com")
        tid("login-password").fill(PASSWORD)
        page.screenshot(path=SHOTS / "02-login.png")
        tid("login-submit").click()
        page.wait_for_url("**/vender")

        tid("nav-turno").click()
        tid("shift-float").fill("100000")
        page.screenshot(path=SHOTS / "03-shift-open.png")
        tid("shift-open").click()
        page.wait_for_url("**/vender")

        scan = tid("scan")
        for barcode in ("7702001000011", "7702001000011", "7702001000028", "0,5*2000000000015"):
            scan.fill(barcode)
            scan.press("Enter")
            page.wait_for_timeout(150)
        lines = page.get_by_test_id("cart-line")
        expect(lines).to_have_count(3)
        # 2 x 4.500 + 3.900 + 0,5 x 24.000
        expect(tid("cart-total")).to_have_text("$ 24.900")
        page.screenshot(path=SHOTS / "04-pos-cart.png")
        page.keyboard.press("F4")
        tid("pay-received").fill("50000")
        expect(tid("pay-change")).to_contain_text("25.100")
        page.screenshot(path=SHOTS / "05-payment.png")
        started = time.perf_counter()
        tid("pay-confirm").click()
        tid("receipt").wait_for()
        elapsed_ms = (time.perf_counter() - started) * 1000
        print(f"\npay -> receipt on screen: {elapsed_ms:.0f} ms")
        expect(tid("receipt-change")).to_have_text("$ 25.100")
        page.screenshot(path=SHOTS / "06-receipt.png")

        tid("nav-inventario").click()
        table = tid("stock-table")
        table.get_by_text("Arroz Diana 1 kg").wait_for()
        row = table.locator("tr", has_text="Arroz Diana 1 kg")
        expect(row.locator("td").nth(3)).to_have_text("18")
        page.screenshot(path=SHOTS / "07-stock.png")

        page.get_by_role("tab", name="Entrada de mercancía").click()
        tid("entry-scan").fill("7702001000028")
        tid("entry-scan").press("Enter")
        tid("entry-qty").fill("12")
        tid("entry-cost").fill("2800")
        page.screenshot(path=SHOTS / "08-entry.png")
        tid("entry-submit").click()
        page.get_by_text("Entrada registrada").wait_for()

        page.get_by_role("tab", name="Conteo físico").click()
        tid("count-scan").fill("7702001000011")
        tid("count-scan").press("Enter")
        tid("count-counted").fill("17")
        tid("count-review").click()
        expect(tid("count-delta")).to_contain_text("-1")
        page.screenshot(path=SHOTS / "09-count-review.png")
        tid("count-confirm").click()
        page.get_by_text("Conteo registrado").wait_for()

        page.get_by_role("tab", name="Inventario").click()
        page.reload()
        table = tid("stock-table")
        table.get_by_text("Arroz Diana 1 kg").wait_for()
        expect(table.locator("tr", has_text="Arroz").locator("td").nth(3)).to_have_text("17")
        expect(table.locator("tr", has_text="Leche").locator("td").nth(3)).to_have_text("31")

        tid("nav-turno").click()
        tid("shift-counted").fill("124900")
        tid("shift-close").click()
        tid("z-report").wait_for(timeout=60_000)
        expect(tid("z-expected")).to_have_text("$ 124.900")
        expect(tid("z-difference")).to_have_text("$ 0")
        page.screenshot(path=SHOTS / "10-z-report.png")
        browser.close()


@pytest.mark.skip(
    reason="TODO: stop and restart the live cloud mid-journey (needs a restartable cloud fixture)"
)
def test_selling_offline_then_pending_drains() -> None:
    """Stop the cloud, keep selling (status bar: Sin conexión, pending grows), restart it,
    watch pending go back to 0."""
