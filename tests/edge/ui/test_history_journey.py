"""Sales history in Chromium: a cashier finds a past ticket by number, amount or product,
opens it and reprints it (screenshot 20-history.png)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.edge.ui.test_journey import (
    ARROZ,
    LECHE,
    _activate,
    _log_in,
    _open_shift,
    _seed,
    _sell,
    _shot,
    caja_url,
    page,
    pytestmark,
)

__all__ = ["caja_url", "page", "pytestmark"]


def test_a_past_ticket_is_found_opened_and_reprinted(
    live_cloud: str, caja_url: str, page: Any
) -> None:
    shop = _seed(live_cloud)
    tid = page.get_by_test_id
    page.goto(f"{caja_url}/")
    _activate(page, live_cloud, shop.code)
    _log_in(page)
    _open_shift(page, "100000")
    _sell(page, (ARROZ,), "$ 4.500", "5000")
    _sell(page, (LECHE, LECHE), "$ 7.800", "10000")
    _sell(page, (ARROZ, LECHE), "$ 8.400", "10000")

    tid("nav-historial").click()
    page.wait_for_url("**/historial")
    rows = page.locator('[data-testid="history-table"] tbody tr')
    expect(rows).to_have_count(3)
    # Newest first.
    expect(rows.first).to_contain_text("$ 8.400")
    _shot(page, "20-history.png", no_toasts=True)

    search = tid("history-search")
    search.fill("7800")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("$ 7.800")
    search.fill("Arroz")
    expect(rows).to_have_count(2)
    search.fill("#1")
    expect(rows).to_have_count(1)

    tid("ticket-1").click()
    page.wait_for_url("**/recibo/*")
    expect(tid("receipt")).to_contain_text("4.500")
    expect(page.get_by_role("button", name="Imprimir")).to_be_visible()

    # A return starts from the ticket in the history: the returns screen opens on it.
    tid("nav-historial").click()
    search = tid("history-search")
    search.fill("Leche")
    expect(rows).to_have_count(2)
    tid("return-2").click()
    page.wait_for_url("**/devoluciones")
    expect(page.get_by_text("Leche entera Alquería 1 L")).to_be_visible()
    _shot(page, "21-history-return.png", no_toasts=True)
