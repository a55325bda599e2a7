"""The reports screen in Chromium: sales pushed by two cajas reach today's bar and the table
by day and by product with their totals; one sede's figures; the CSV download in Spanish
(semicolons, decimal commas)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.cloud.admin.conftest import WIDE, expect, go, shot, sign_in
from tests.cloud.admin.test_sales_pages import shop
from tests.fixtures.cloud_admin import CloudAdmin


def test_reports_by_day_product_sede_and_csv(new_page: Any, owner: CloudAdmin) -> None:
    s = shop(owner)
    s.till.sell(s.rice, 1, units="2", cashier=s.cashier)
    s.till_norte.sell(s.rice, 1, units="3", prefix="C02", card=True)

    page = new_page(WIDE)
    sign_in(page)
    go(page, "/informes")
    expect(page.get_by_test_id("page-title")).to_have_text("Informes")
    table = page.get_by_test_id("report-table")
    # By day: today's 5 units, 12.500 net, 2 sales, and the total row.
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("$ 12.500")
    expect(rows.nth(1)).to_contain_text("Total")
    expect(page.get_by_test_id("report-chart")).to_be_visible()
    shot(page, "reports-by-day")

    page.get_by_test_id("report-group").click()
    page.get_by_role("option", name="Producto").click()
    page.get_by_test_id("report-show").click()
    expect(rows.nth(0)).to_contain_text("Arroz Diana 500 g")

    page.get_by_test_id("report-sede").click()
    page.get_by_role("option", name="Norte").click()
    page.get_by_test_id("report-show").click()
    expect(rows.nth(0)).to_contain_text("$ 7.500")

    with page.expect_download() as download:
        page.get_by_test_id("report-csv").click()
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("key;label;units;gross;")
    assert lines[1].startswith(f"{s.rice};Arroz Diana 500 g;3,000;7500,00;")
    expect(page.get_by_test_id("nav-informes")).to_be_visible()
