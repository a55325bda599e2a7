"""Discounts, the customer and the quantity guard in Chromium (issue 12 items 7, 9, 12): a line
discount in %, a ticket discount in pesos, a customer typed at payment; the receipt shows the
discounts as negative lines, the customer and the tax per rate. A 150-unit typo asks first.
Screenshots 30-line-discount.png, 31-ticket-discount.png, 32-pay-customer.png,
33-receipt-discounts.png, 34-big-quantity.png."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.edge.ui.test_journey import (
    ARROZ,
    LECHE,
    _activate,
    _log_in,
    _open_shift,
    _scan,
    _seed,
    _shot,
    caja_url,
    page,
    pytestmark,
)

__all__ = ["caja_url", "page", "pytestmark"]


def test_discounts_and_a_customer_reach_the_receipt(
    live_cloud: str, caja_url: str, page: Any
) -> None:
    shop = _seed(live_cloud)
    tid = page.get_by_test_id
    page.goto(f"{caja_url}/")
    _activate(page, live_cloud, shop.code)
    _log_in(page)
    _open_shift(page, "100000")

    _scan(page, ARROZ, ARROZ, LECHE)
    expect(tid("cart-total")).to_have_text("$ 12.900")
    # 10 % off the rice line: 2 x 4.500 = 9.000 - 900
    tid("line-qty").first.click()
    tid("discount-kind").get_by_text("%").click()
    tid("line-discount").fill("10")
    _shot(page, "30-line-discount.png")
    tid("line-save").click()
    expect(tid("cart-total")).to_have_text("$ 12.000")
    # 1.000 off the whole sale, spread 675 / 325 over the lines
    tid("ticket-discount-open").click()
    tid("ticket-discount").fill("1000")
    _shot(page, "31-ticket-discount.png")
    tid("ticket-discount-save").click()
    expect(tid("cart-total")).to_have_text("$ 11.000")

    # Shortcuts wait until the closing dialog has left the page (stocky.edge.ui.scanner).
    expect(page.locator(".q-dialog")).to_have_count(0)
    page.keyboard.press("F4")
    page.get_by_text("Cliente (opcional)").click()
    tid("customer-name").fill("Ana María Pérez")
    tid("customer-tax-id").fill("1020304050")
    tid("pay-received").fill("20000")
    _shot(page, "32-pay-customer.png")
    tid("pay-confirm").click()
    receipt = tid("receipt")
    receipt.wait_for()
    expect(tid("receipt-customer")).to_contain_text("Ana María Pérez")
    expect(tid("receipt-customer")).to_contain_text("1020304050")
    expect(tid("receipt-total")).to_have_text("$ 11.000")
    expect(tid("receipt-discount")).to_have_text("-$ 1.900")
    # rice at 5 %: net 9.000 - 900 - 675 = 7.425; milk at 0 %: 3.900 - 325 = 3.575
    rates = tid("receipt-tax-rate")
    expect(rates).to_have_count(2)
    expect(rates.nth(0)).to_contain_text("3.575")
    expect(rates.nth(1)).to_contain_text("7.425")
    _shot(page, "33-receipt-discounts.png", no_toasts=True)


def test_an_absurd_quantity_asks_first(live_cloud: str, caja_url: str, page: Any) -> None:
    shop = _seed(live_cloud)
    tid = page.get_by_test_id
    page.goto(f"{caja_url}/")
    _activate(page, live_cloud, shop.code)
    _log_in(page)
    _scan(page, f"150*{ARROZ}")
    expect(tid("quantity-confirm")).to_be_visible()
    _shot(page, "34-big-quantity.png")
    tid("quantity-cancel").click()
    expect(tid("cart-line")).to_have_count(0)
    # The cancelled dialog leaves the page once its closing transition ends (slow under load).
    expect(tid("quantity-confirm")).to_have_count(0)
    _scan(page, f"150*{ARROZ}")
    tid("quantity-confirm").click()
    expect(tid("cart-line")).to_have_count(1)
    # 20 in stock: the sale goes on, the cashier is told
    expect(page.locator(".q-notification").filter(has_text="negativo")).to_be_visible()
    _scan(page, f"30*{LECHE}")
    expect(tid("cart-line")).to_have_count(2)
    expect(tid("quantity-confirm")).to_have_count(0)
