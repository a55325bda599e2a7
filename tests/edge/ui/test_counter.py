"""The counter in Chromium at 1366x768: a keyboard-wedge scanner's timing, Esc and
cancelling, a reload that keeps the sale, parked sales.

Runs `stocky edge run` on an activated caja file (no cloud: it sells offline), with Debian's
Chromium. Screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from stocky.edge.shifts.schemas import ShiftOpen
from stocky.edge.shifts.service import open_shift
from stocky.edge.store.timestamps import utc_now
from tests.edge.factories import PASSWORD, create_activated_store
from tests.edge.ui.test_journey import _caja
from tests.fixtures.cloud_process import free_port

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
SHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"
PRODUCTS = 30

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")


class Counter(NamedTuple):
    url: str
    db: Path
    codes: list[str]


@pytest.fixture
def counter(tmp_path: Path) -> Iterator[Counter]:
    """A caja with 30 products (even ones by unit, odd ones by weight) and an open shift."""
    made = create_activated_store(tmp_path, products=PRODUCTS)
    store = made.store
    store.write(
        lambda conn: conn.execute(
            "UPDATE sede_info SET cloud_url = ?", (f"http://127.0.0.1:{free_port()}",)
        )
    )
    cashier = made.cashier["id"]
    store.write(
        lambda conn: open_shift(
            conn, ShiftOpen(opening_float=Decimal("0")), user_id=cashier, now=utc_now()
        )
    )
    codes = [str(p["barcode"]) for p in made.products]
    store.close()
    with _caja(tmp_path, data_dir=tmp_path / "data") as url:
        yield Counter(url, tmp_path / "data" / "caja.db", codes)


@pytest.fixture
def page() -> Iterator[Any]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        tab = browser.new_page(viewport={"width": 1366, "height": 768})
        tab.set_default_timeout(20_000)
        try:
            yield tab
        finally:
            browser.close()


_SETTLE_JS = """() => Promise.all(document.getAnimations()
    .filter(a => a.effect && a.effect.getTiming().iterations !== Infinity)
    .map(a => a.finished.catch(() => null)))"""


def _shot(page: Any, name: str) -> None:
    page.wait_for_function(_SETTLE_JS)
    page.screenshot(path=SHOTS / name)


def _log_in(page: Any, url: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_test_id("login-email").fill("cajero@example.com")
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url("**/vender")
    page.get_by_test_id("scan").wait_for()


def _scanner(page: Any, codes: list[str], seed: int) -> None:
    """As a wedge scanner types: 0-5 ms per key, Enter, the next code at once."""
    rng = random.Random(seed)
    for code in codes:
        for key in code:
            page.keyboard.press(key, delay=0)
            time.sleep(rng.uniform(0, 0.005))
        page.keyboard.press("Enter", delay=0)


def _db(counter: Counter, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(counter.db) as conn:
        return conn.execute(sql).fetchall()


def _pay_cash(page: Any) -> None:
    page.keyboard.press("F4")
    page.get_by_test_id("pay-received").fill("1000000")
    page.get_by_test_id("pay-confirm").click()
    page.get_by_test_id("receipt").wait_for()


class TestRapidScan:
    def test_thirty_codes_back_to_back_make_thirty_lines(self, counter: Counter, page: Any):
        _log_in(page, counter.url)
        page.get_by_test_id("scan").focus()
        _scanner(page, counter.codes, seed=1)
        expect(page.get_by_test_id("cart-line")).to_have_count(PRODUCTS, timeout=30_000)
        # The same 30 codes again: every line at quantity 2, no extra line.
        _scanner(page, counter.codes, seed=2)
        expect(page.get_by_test_id("line-qty").first).to_have_text("2", timeout=30_000)
        expect(page.get_by_test_id("line-qty").last).to_have_text("2", timeout=30_000)
        expect(page.get_by_test_id("cart-line")).to_have_count(PRODUCTS)
        # 15 by unit at $10 and 15 by weight at $25,50, twice each.
        expect(page.get_by_test_id("cart-total")).to_have_text("$ 1.065")
        # The newest line is scrolled into view, and at 1366x768 at least 8 lines show.
        expect(page.get_by_test_id("cart-line").last).to_be_in_viewport()
        visible = page.evaluate(
            """() => [...document.querySelectorAll('[data-testid="cart-line"]')].filter(el => {
                 const r = el.getBoundingClientRect();
                 return r.top >= 0 && r.bottom <= window.innerHeight; }).length"""
        )
        assert visible >= 8
        _shot(page, "counter-01-rapid-scan.png")

    def test_a_scan_at_the_receipt_starts_the_next_sale(self, counter: Counter, page: Any):
        _log_in(page, counter.url)
        _scanner(page, counter.codes[:1], seed=3)
        expect(page.get_by_test_id("cart-line")).to_have_count(1)
        _pay_cash(page)
        _shot(page, "counter-02-receipt.png")
        _scanner(page, counter.codes, seed=4)
        page.wait_for_url("**/vender")
        expect(page.get_by_test_id("cart-line")).to_have_count(PRODUCTS, timeout=30_000)
        expect(page.get_by_test_id("line-qty").first).to_have_text("1")
        expect(page.get_by_test_id("cart-total")).to_have_text("$ 533")


class TestEscAndCancel:
    def test_esc_closes_the_line_editor_only(self, counter: Counter, page: Any):
        _log_in(page, counter.url)
        _scanner(page, counter.codes[:3], seed=5)
        expect(page.get_by_test_id("cart-line")).to_have_count(3)
        page.get_by_test_id("line-qty").first.click()
        page.get_by_test_id("line-quantity").wait_for()
        page.keyboard.press("Escape")
        expect(page.get_by_test_id("line-quantity")).to_have_count(0)
        expect(page.get_by_test_id("cart-line")).to_have_count(3)

    def test_cancel_asks_then_records_a_voided_sale(self, counter: Counter, page: Any):
        _log_in(page, counter.url)
        _scanner(page, counter.codes[:2], seed=6)
        expect(page.get_by_test_id("cart-line")).to_have_count(2)
        page.get_by_test_id("scan").focus()
        page.keyboard.press("Escape")  # asks; Esc again keeps the sale
        expect(page.get_by_test_id("void-confirm")).to_be_visible()
        _shot(page, "counter-03-void-confirm.png")
        page.keyboard.press("Escape")
        expect(page.get_by_test_id("void-confirm")).to_have_count(0)
        expect(page.get_by_test_id("cart-line")).to_have_count(2)
        page.get_by_test_id("cancel-sale").click()
        page.get_by_test_id("void-confirm").click()
        expect(page.get_by_test_id("cart-line")).to_have_count(0)
        audit = _db(counter, "SELECT before_data FROM audit_logs WHERE action = 'sale.void'")
        assert len(audit) == 1
        assert len(json.loads(audit[0][0])["lines"]) == 2
        ops = _db(counter, "SELECT payload FROM sync_queue WHERE kind = 'sale.void'")
        assert len(ops) == 1
        payload = json.loads(ops[0][0])
        assert payload["total"] == "35.50"
        assert [ln["quantity"] for ln in payload["lines"]] == ["1.000", "1.000"]
        # Nothing is left held: a reload shows an empty sale.
        page.reload()
        page.get_by_test_id("scan").wait_for()
        expect(page.get_by_test_id("cart-line")).to_have_count(0)


class TestHeldCart:
    def test_a_reload_keeps_the_sale(self, counter: Counter, page: Any):
        _log_in(page, counter.url)
        _scanner(page, counter.codes[:4] + counter.codes[:1], seed=7)
        expect(page.get_by_test_id("cart-line")).to_have_count(4)
        expect(page.get_by_test_id("line-qty").first).to_have_text("2")
        page.wait_for_timeout(300)  # the tab dies right after the scans; no flush is asked
        page.reload()
        page.wait_for_url("**/vender")
        expect(page.get_by_test_id("cart-line")).to_have_count(4)
        expect(page.get_by_test_id("line-qty").first).to_have_text("2")
        # Selling it leaves nothing held behind.
        _pay_cash(page)
        page.get_by_test_id("new-sale").click()
        page.wait_for_url("**/vender")
        page.reload()
        page.get_by_test_id("scan").wait_for()
        expect(page.get_by_test_id("cart-line")).to_have_count(0)

    def test_park_serve_the_next_customer_and_resume(self, counter: Counter, page: Any):
        _log_in(page, counter.url)
        _scanner(page, counter.codes[:3], seed=8)
        expect(page.get_by_test_id("cart-line")).to_have_count(3)
        page.keyboard.press("F8")
        expect(page.get_by_test_id("cart-line")).to_have_count(0)
        expect(page.get_by_test_id("parked")).to_contain_text("1")
        # The next customer buys one thing and pays.
        _scanner(page, counter.codes[5:6], seed=9)
        expect(page.get_by_test_id("cart-line")).to_have_count(1)
        _pay_cash(page)
        page.get_by_test_id("new-sale").click()
        page.wait_for_url("**/vender")
        page.get_by_test_id("parked").click()
        expect(page.get_by_test_id("parked-cart")).to_have_count(1)
        _shot(page, "counter-04-parked.png")
        page.get_by_test_id("resume").click()
        expect(page.get_by_test_id("cart-line")).to_have_count(3)
        expect(page.get_by_test_id("parked")).to_contain_text("0")
        assert _db(counter, "SELECT count(*) FROM held_carts WHERE status = 'parked'") == [(0,)]
