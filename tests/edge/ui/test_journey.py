"""A cashier's shift in Chromium: activate, log in, open the shift, sell, stock, close.

Drives `stocky edge run` as a real subprocess against a real cloud, with Debian's Chromium
(/usr/bin/chromium). Screenshots of every main screen go to artifacts/screenshots/.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest

from tests.fixtures.cloud_admin import PASSWORD, CloudAdmin
from tests.fixtures.cloud_process import CloudProcess, free_port

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
ARROZ, LECHE, QUESO = "7702001000011", "7702001000028", "2000000000015"
# The caja pings every 15 s and goes offline after 2 failed pings; the outage test pings
# faster so that it sees "sin conexión" within a second or two.
FAST_PING = {"STOCKY_EDGE_PING_SECONDS": "0.5"}
# Wait for CSS transitions (a dialog fading in) so screenshots show the finished screen.
_SETTLE_JS = """() => Promise.all(document.getAnimations()
    .filter(a => a.effect && a.effect.getTiming().iterations !== Infinity)
    .map(a => a.finished.catch(() => null)))"""

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")

PAY_TIMER_JS = """
() => {
  const button = document.querySelector('[data-testid="pay-confirm"]');
  button.addEventListener('click', () => {
    const clicked = performance.now();
    const seen = new MutationObserver(() => {
      if (document.querySelector('[data-testid="receipt"]')) {
        window.__payToReceiptMs = performance.now() - clicked;
        seen.disconnect();
      }
    });
    seen.observe(document.body, { childList: true, subtree: true });
  }, { capture: true, once: true });
}
"""


class Shop(NamedTuple):
    code: str
    sede: str
    headers: dict[str, str]


def _seed(url: str) -> Shop:
    """A tenant with a sede, a manager, three products with stock, and an activation code."""
    admin = CloudAdmin.signup(url, "Mercado La 14")
    sede = admin.sede("Sede Centro")
    admin.user("ana@example.com", "Ana Gómez", "manager", sede)
    products = [
        ("ARROZ-1", "Arroz Diana 1 kg", ARROZ, "4500", "0.05", "unit"),
        ("LECHE-1", "Leche entera Alquería 1 L", LECHE, "3900", "0", "unit"),
        ("QUESO-K", "Queso campesino (kg)", QUESO, "24000", "0", "weight"),
    ]
    for sku, name, code, price, tax, unit in products:
        admin.product(sku=sku, name=name, barcode=code, price=price, tax_rate=tax, unit=unit)
    admin.opening(sede, {p[0]: "20" for p in products})
    return Shop(admin.activation_code(sede), sede, admin.headers)


def _cloud_stock(url: str, shop: Shop) -> dict[str, Decimal]:
    r = httpx.get(f"{url}/api/inventory", params={"sede_id": shop.sede}, headers=shop.headers)
    assert r.status_code == 200, r.text
    return {item["sku"]: Decimal(item["quantity"]) for item in r.json()["items"]}


@contextmanager
def _caja(
    tmp_path: Path, env: dict[str, str] | None = None, data_dir: Path | None = None
) -> Iterator[str]:
    """`stocky edge run` on a free port with its own data dir; yields its URL."""
    port = free_port()
    log = tmp_path / "caja.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "stocky",
                "edge",
                "run",
                "--data-dir",
                str(data_dir or tmp_path / "caja"),
                "--port",
                str(port),
                "--no-browser",
            ],
            env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=err,
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
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "the caja did not start"
        time.sleep(0.2)
    try:
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


@pytest.fixture
def caja_url(tmp_path: Path) -> Iterator[str]:
    with _caja(tmp_path) as url:
        yield url


@pytest.fixture
def page() -> Iterator[Any]:
    """A Chromium tab, 1366x800, 20 s timeouts."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        tab = browser.new_page(viewport={"width": 1366, "height": 800})
        tab.set_default_timeout(20_000)
        try:
            yield tab
        finally:
            browser.close()


def _shot(page: Any, name: str, *, no_toasts: bool = False) -> None:
    if no_toasts:  # toasts sit on the status bar; wait until they are gone
        expect(page.locator(".q-notification")).to_have_count(0, timeout=10_000)
    page.wait_for_function(_SETTLE_JS)
    page.screenshot(path=SHOTS / name)


def _activate(page: Any, cloud: str, code: str) -> None:
    tid = page.get_by_test_id
    page.wait_for_url("**/activar")
    tid("activation-cloud").fill(cloud)
    tid("activation-code").fill(code)
    tid("activation-submit").click()
    page.wait_for_url("**/login")


def _log_in(page: Any, shot: str | None = None) -> None:
    tid = page.get_by_test_id
    tid("login-email").fill("ana@example.com")
    tid("login-password").fill(PASSWORD)
    if shot:
        _shot(page, shot)
    tid("login-submit").click()
    page.wait_for_url("**/vender")


def _open_shift(page: Any, opening_float: str, shot: str | None = None) -> None:
    tid = page.get_by_test_id
    tid("nav-turno").click()
    tid("shift-float").fill(opening_float)
    if shot:
        _shot(page, shot)
    tid("shift-open").click()
    page.wait_for_url("**/vender")


def _scan(page: Any, *codes: str) -> None:
    scan = page.get_by_test_id("scan")
    for code in codes:
        scan.fill(code)
        scan.press("Enter")
        page.wait_for_timeout(150)


def _sell(page: Any, codes: tuple[str, ...], total: str, received: str) -> None:
    """Scan, check the total, pay cash with F4, and go back to an empty sale."""
    tid = page.get_by_test_id
    _scan(page, *codes)
    expect(tid("cart-total")).to_have_text(total)
    page.keyboard.press("F4")
    tid("pay-received").fill(received)
    tid("pay-confirm").click()
    tid("receipt").wait_for()
    tid("new-sale").click()
    page.wait_for_url("**/vender")


def _close_shift(page: Any, counted: str) -> None:
    tid = page.get_by_test_id
    tid("nav-turno").click()
    tid("shift-counted").fill(counted)
    tid("shift-close").click()
    tid("z-report").wait_for(timeout=60_000)


def test_a_shift_at_the_caja(live_cloud: str, caja_url: str, page: Any) -> None:
    shop = _seed(live_cloud)
    tid = page.get_by_test_id

    page.goto(f"{caja_url}/")
    page.wait_for_url("**/activar")
    tid("activation-cloud").fill(live_cloud)
    tid("activation-code").fill("ABCD-EFGH-JKMN")  # well formed, not issued
    _shot(page, "01-activation.png")
    tid("activation-submit").click()
    expect(tid("activation-error")).to_contain_text("no es válido")
    _activate(page, live_cloud, shop.code)
    _log_in(page, shot="02-login.png")
    _open_shift(page, "100000", shot="03-shift-open.png")

    _scan(page, ARROZ, ARROZ, LECHE, f"0,5*{QUESO}")
    expect(page.get_by_test_id("cart-line")).to_have_count(3)
    # 2 x 4.500 + 3.900 + 0,5 x 24.000
    expect(tid("cart-total")).to_have_text("$ 24.900")
    _shot(page, "04-pos-cart.png")
    page.keyboard.press("F4")
    tid("pay-received").fill("50000")
    expect(tid("pay-change")).to_contain_text("25.100")
    _shot(page, "05-payment.png")
    # Timed inside the page, from the click event to the receipt in the DOM, so Playwright's
    # own actionability checks and polling are not counted.
    page.evaluate(PAY_TIMER_JS)
    started = time.perf_counter()
    tid("pay-confirm").click()
    tid("receipt").wait_for()
    elapsed_ms = (time.perf_counter() - started) * 1000
    in_page_ms = page.evaluate("window.__payToReceiptMs")
    print(f"\npay -> receipt on screen: {in_page_ms:.0f} ms in the page", end="")
    print(f" ({elapsed_ms:.0f} ms seen by Playwright)")
    expect(tid("receipt-change")).to_have_text("$ 25.100")
    _shot(page, "06-receipt.png")

    tid("nav-inventario").click()
    table = tid("stock-table")
    table.get_by_text("Arroz Diana 1 kg").wait_for()
    row = table.locator("tr", has_text="Arroz Diana 1 kg")
    expect(row.locator("td").nth(3)).to_have_text("18")
    _shot(page, "07-stock.png")

    page.get_by_role("tab", name="Entrada de mercancía").click()
    tid("entry-scan").fill(LECHE)
    tid("entry-scan").press("Enter")
    tid("entry-qty").fill("12")
    tid("entry-cost").fill("2800")
    _shot(page, "08-entry.png")
    tid("entry-submit").click()
    page.get_by_text("Entrada registrada").wait_for()

    page.get_by_role("tab", name="Conteo físico").click()
    tid("count-scan").fill(ARROZ)
    tid("count-scan").press("Enter")
    tid("count-counted").fill("17")
    tid("count-review").click()
    expect(tid("count-delta")).to_contain_text("-1")
    _shot(page, "09-count-review.png")
    tid("count-confirm").click()
    page.get_by_text("Conteo registrado").wait_for()

    page.get_by_role("tab", name="Inventario").click()
    page.reload()
    table = tid("stock-table")
    table.get_by_text("Arroz Diana 1 kg").wait_for()
    expect(table.locator("tr", has_text="Arroz").locator("td").nth(3)).to_have_text("17")
    expect(table.locator("tr", has_text="Leche").locator("td").nth(3)).to_have_text("31")

    _close_shift(page, "124900")
    # Cash by method is what the drawer kept (50.000 handed over, 25.100 given back).
    expect(tid("z-cash")).to_have_text("$ 24.900")
    expect(tid("z-expected")).to_have_text("$ 124.900")
    expect(tid("z-difference")).to_have_text("$ 0")
    _shot(page, "10-z-report.png")


def test_selling_offline_then_pending_drains(
    cloud_process: CloudProcess, tmp_path: Path, page: Any
) -> None:
    """Stop the cloud, keep selling (Sin conexión, pending grows), start it again on the
    same port, watch pending go back to 0; the Z report counts every sale once."""
    cloud = cloud_process.url
    shop = _seed(cloud)
    tid = page.get_by_test_id
    link, pending = tid("status-online"), tid("status-pending")
    timings: dict[str, float] = {}

    with _caja(tmp_path, FAST_PING) as caja:
        page.goto(f"{caja}/")
        _activate(page, cloud, shop.code)
        _log_in(page)
        _open_shift(page, "100000")
        _sell(page, (ARROZ,), "$ 4.500", "5000")
        expect(link).to_contain_text("En línea")
        expect(pending).to_have_text("0 pendientes")

        started = time.perf_counter()
        cloud_process.kill()
        expect(link).to_contain_text(re.compile("sin conexión", re.IGNORECASE))
        timings["kill -> sin conexión"] = time.perf_counter() - started
        _sell(page, (LECHE,), "$ 3.900", "3900")
        _sell(page, (f"0,5*{QUESO}",), "$ 12.000", "20000")
        expect(pending).to_contain_text("2 pendientes")
        _shot(page, "11-offline-pending.png", no_toasts=True)

        started = time.perf_counter()
        cloud_process.start()
        timings["cloud restart"] = time.perf_counter() - started
        expect(pending).to_have_text("0 pendientes", timeout=30_000)
        expect(link).to_contain_text("En línea")
        timings["restart -> 0 pendientes"] = time.perf_counter() - started
        _shot(page, "12-back-online.png", no_toasts=True)
        stock = _cloud_stock(cloud, shop)
        assert stock == {
            "ARROZ-1": Decimal("19"),
            "LECHE-1": Decimal("19"),
            "QUESO-K": Decimal("19.5"),
        }

        _close_shift(page, "120400")
        # Float 100.000 + 4.500 + 3.900 + 12.000 in cash, each sale counted once.
        expect(tid("z-report")).to_contain_text("Ventas (3)")
        expect(tid("z-expected")).to_have_text("$ 120.400")
        expect(tid("z-difference")).to_have_text("$ 0")
        _shot(page, "13-z-report-after-outage.png")
    print("\n" + ", ".join(f"{k}: {v:.1f} s" for k, v in timings.items()))
