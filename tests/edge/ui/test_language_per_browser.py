"""Language and numbers per browser (issue 12, item 7), in Chromium against a real caja.

One browser switches to English and pays "20,000" (twenty thousand, not twenty); another
browser at the same caja stays in Spanish, where "20.000" is twenty thousand too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.edge.ui.test_journey import (
    ARGS,
    ARROZ,
    CHROMIUM,
    SHOTS,
    _activate,
    _caja,
    _log_in,
    _open_shift,
    _scan,
    _seed,
    _shot,
    expect,
    playwright_api,
)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")


def _pay(page: Any, received: str) -> None:
    page.keyboard.press("F4")
    page.get_by_test_id("pay-received").fill(received)


def test_language_is_per_browser_and_numbers_follow_it(live_cloud: str, tmp_path: Path) -> None:
    shop = _seed(live_cloud)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with (
        _caja(tmp_path) as caja,
        playwright_api.sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            english = browser.new_context(viewport={"width": 1366, "height": 800}).new_page()
            spanish = browser.new_context(viewport={"width": 1366, "height": 800}).new_page()
            for tab in (english, spanish):
                tab.set_default_timeout(20_000)
            english.goto(f"{caja}/")
            _activate(english, live_cloud, shop.code)
            _log_in(english)
            _open_shift(english, "100000")
            spanish.goto(f"{caja}/login")
            _log_in(spanish)

            english.get_by_test_id("language-toggle").click()
            expect(english.get_by_test_id("nav-vender")).to_contain_text("Sell")
            spanish.reload()
            expect(spanish.get_by_test_id("nav-vender")).to_contain_text("Vender")

            _scan(english, ARROZ)
            expect(english.get_by_test_id("cart-total")).to_have_text("$ 4,500")
            _pay(english, "abc")
            change = english.get_by_test_id("pay-change")
            expect(change).to_have_text("“Received” must be a number, for example 1,500 or 2.5")
            expect(english.get_by_test_id("pay-confirm")).to_be_disabled()
            _shot(english, "22-english-bad-number.png")
            english.get_by_test_id("pay-received").fill("20,000")
            expect(change).to_have_text("Change: $ 15,500")
            _shot(english, "23-english-20000.png")
            english.get_by_test_id("pay-confirm").click()
            expect(english.get_by_test_id("receipt-change")).to_have_text("$ 15,500")

            # The other browser never followed the switch, and Spanish grouping still works.
            spanish.reload()
            expect(spanish.get_by_test_id("nav-vender")).to_contain_text("Vender")
            spanish.get_by_test_id("nav-turno").click()
            spanish.get_by_test_id("nav-vender").click()
            english.get_by_test_id("new-sale").click()
            _scan(spanish, ARROZ)
            expect(spanish.get_by_test_id("cart-total")).to_have_text("$ 4.500")
            _pay(spanish, "20.000")
            expect(spanish.get_by_test_id("pay-change")).to_have_text("Cambio: $ 15.500")
            _shot(spanish, "24-spanish-20000.png")
            spanish.get_by_test_id("pay-received").fill("")
            spanish.get_by_test_id("pay-received").fill("1,5")
            expect(spanish.get_by_test_id("pay-change")).to_contain_text("Falta")
        finally:
            browser.close()
