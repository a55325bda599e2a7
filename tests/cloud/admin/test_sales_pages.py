"""The sales screens in Chromium: sales pushed by cajas activated over the API, exactly as
a caja sends them, listed newest first with filters and pages, one sale's detail with its
lines, payments and returns, a new sale appearing while the list is open; a manager sees
only its sede; another tenant sees nothing of this one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.cloud.admin.conftest import (
    PHONE,
    WIDE,
    expect,
    go,
    no_horizontal_scroll,
    shot,
    sign_in,
)
from tests.cloud.sync.ops import return_op, sale_op
from tests.fixtures.cloud_admin import CloudAdmin

NOW = datetime.now(UTC).replace(microsecond=0)


@dataclass
class Till:
    """A caja activated with a code, pushing ops with its own credential."""

    url: str
    sede_id: str
    device_id: str
    name: str
    headers: dict[str, str]

    @classmethod
    def activate(cls, admin: CloudAdmin, sede: str, name: str) -> Till:
        code = admin.activation_code(sede)
        r = httpx.post(f"{admin.url}/api/activate", json={"code": code, "device_name": name})
        assert r.status_code == 200, r.text
        answer = r.json()
        headers = {"Authorization": f"Bearer {answer['device_credential']}"}
        return cls(admin.url, sede, str(answer["device"]["id"]), name, headers)

    def push(self, *ops: dict[str, Any]) -> list[dict[str, Any]]:
        body = {"sede_id": self.sede_id, "device_id": self.device_id, "operations": list(ops)}
        r = httpx.post(f"{self.url}/api/sync/push", json=body, headers=self.headers)
        assert r.status_code == 200, r.text
        results: list[dict[str, Any]] = r.json()["results"]
        return results

    def sell(
        self,
        product_id: str,
        number: int,
        *,
        units: str = "1",
        price: str = "2500.00",
        minutes_ago: int = 0,
        cashier: str | None = None,
        prefix: str = "C01",
        card: bool = False,
    ) -> dict[str, Any]:
        op = sale_op(
            [(uuid.UUID(product_id), units, price)],
            number=number,
            client_ts=NOW - timedelta(minutes=minutes_ago),
        )
        sale = op["payload"]["sale"]
        sale["receipt_prefix"] = prefix
        if card:
            for payment in sale["payments"]:
                payment["method"] = "card"
        if cashier is not None:
            op["payload"]["user_id"] = cashier
        assert {r["status"] for r in self.push(op)} == {"applied"}
        return op


@dataclass
class Shop:
    admin: CloudAdmin
    centro: str
    norte: str
    rice: str
    cashier: str
    till: Till
    till_norte: Till


def shop(admin: CloudAdmin) -> Shop:
    centro = admin.sede("Centro")
    norte = admin.sede("Norte")
    rice = admin.product(sku="ARZ-1", name="Arroz Diana 500 g", price="2500.00")
    admin.opening(centro, {"ARZ-1": "100"})
    admin.opening(norte, {"ARZ-1": "100"})
    cashier = admin.user("carla@example.com", "Carla Cajera", "cashier", centro)
    till = Till.activate(admin, centro, "Caja Entrada")
    till_norte = Till.activate(admin, norte, "Caja Norte")
    return Shop(admin, centro, norte, rice, cashier, till, till_norte)


def sale_ids(admin: CloudAdmin) -> dict[str, str]:
    r = httpx.get(f"{admin.url}/api/sales", headers=admin.headers, params={"limit": 200})
    assert r.status_code == 200, r.text
    return {i["receipt"]: i["id"] for i in r.json()["items"]}


def row(page: Any, receipt: str) -> Any:
    return page.get_by_test_id(f"sale-row-{receipt}")


def test_sales_list_filters_detail_and_live(new_page: Any, owner: CloudAdmin) -> None:
    s = shop(owner)
    first = s.till.sell(s.rice, 1, units="2", minutes_ago=30, cashier=s.cashier)
    s.till.sell(s.rice, 2, units="1", minutes_ago=20, card=True)
    s.till_norte.sell(s.rice, 1, units="3", minutes_ago=10, prefix="C02")
    returned = return_op(first, [(0, "1")])
    returned["payload"]["return"]["refund_total"] = "2500.00"
    assert {r["status"] for r in s.till.push(returned)} == {"applied"}

    page = new_page(WIDE)
    sign_in(page)
    go(page, "/ventas")
    # Newest first by the caja's time, with sede, caja, cashier, payments and returns.
    rows = page.locator("[data-testid^=sale-row-]")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("C02-000001")
    expect(rows.nth(2)).to_contain_text("C01-000001")
    expect(row(page, "C01-000001")).to_contain_text("Carla Cajera")
    expect(row(page, "C01-000001")).to_contain_text("Caja Entrada")
    expect(row(page, "C01-000001")).to_contain_text("$ 5.000")  # the total
    expect(row(page, "C01-000001")).to_contain_text("$ 2.500")  # what the return gave back
    expect(row(page, "C01-000002")).to_contain_text("Tarjeta")
    expect(row(page, "C02-000001")).to_contain_text("Norte")
    shot(page, "sales")

    # Filters: sede, caja, cashier, receipt, amount; a bad amount is named in Spanish.
    page.get_by_test_id("filter-sede").click()
    page.get_by_role("option", name="Norte").click()
    page.get_by_test_id("filters-apply").click()
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("C02-000001")
    page.get_by_test_id("filters-clear").click()
    expect(rows).to_have_count(3)
    page.get_by_test_id("filter-cashier").click()
    page.get_by_role("option", name="Carla Cajera").click()
    page.get_by_test_id("filters-apply").click()
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("C01-000001")
    page.get_by_test_id("filters-clear").click()
    page.get_by_test_id("filter-receipt").fill("C01-2")
    page.get_by_test_id("filters-apply").click()
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("C01-000002")
    page.get_by_test_id("filters-clear").click()
    page.get_by_test_id("filter-min-total").fill("6.000")
    page.get_by_test_id("filters-apply").click()
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("C02-000001")
    page.get_by_test_id("filter-max-total").fill("mucho")
    page.get_by_test_id("filters-apply").click()
    expect(page.get_by_text("Total máximo: no es un número válido").last).to_be_visible()
    page.get_by_test_id("filters-clear").click()
    page.get_by_test_id("filter-receipt").fill("no es un recibo")
    page.get_by_test_id("filters-apply").click()
    expect(
        page.get_by_text("Número de recibo:").last
    ).to_be_visible()  # the API's 422, on the field
    page.get_by_test_id("filters-clear").click()
    today = NOW.date()
    page.get_by_test_id("filter-from").fill((today + timedelta(days=2)).isoformat())
    page.get_by_test_id("filters-apply").click()
    expect(page.get_by_test_id("sales-empty")).to_be_visible()
    page.get_by_test_id("filters-clear").click()
    expect(rows).to_have_count(3)

    # The detail: lines, payments, the return with its refund, caja, cashier, both times.
    row(page, "C01-000001").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Venta C01-000001")
    expect(page.get_by_test_id("sale-lines")).to_contain_text("Arroz Diana 500 g")
    expect(page.get_by_test_id("sale-lines")).to_contain_text("ARZ-1")
    expect(page.get_by_test_id("sale-caja")).to_have_text("Caja Entrada")
    expect(page.get_by_test_id("sale-cashier")).to_have_text("Carla Cajera")
    expect(page.get_by_test_id("sale-total")).to_have_text("$ 5.000")
    expect(page.get_by_test_id("sale-returned")).to_have_text("$ 2.500")
    expect(page.get_by_test_id("payment-cash")).to_have_text("$ 5.000")
    expect(page.locator("[data-testid^=return-]")).to_contain_text("Efectivo $ 2.500")
    expect(page.get_by_test_id("sale-client-ts")).not_to_have_text("—")
    expect(page.get_by_test_id("sale-received")).not_to_have_text("—")
    shot(page, "sale-detail")
    page.get_by_test_id("same-caja").click()
    expect(rows).to_have_count(2)  # the caja's two sales

    # Live: a sale pushed while the list is open shows up without a reload.
    go(page, "/ventas")
    expect(rows).to_have_count(3)
    s.till.sell(s.rice, 3, units="4")
    expect(row(page, "C01-000003")).to_be_visible(timeout=5_000)
    expect(rows.nth(0)).to_contain_text("C01-000003")

    phone = new_page(PHONE)
    sign_in(phone)
    go(phone, "/ventas")
    expect(phone.locator("[data-testid^=sale-row-]")).to_have_count(4)
    expect(phone.get_by_test_id("filters-panel")).to_be_hidden()
    assert no_horizontal_scroll(phone)
    shot(phone, "sales")
    phone.get_by_test_id("filters-toggle").click()
    expect(phone.get_by_test_id("filters-panel")).to_be_visible()
    assert no_horizontal_scroll(phone)
    shot(phone, "sales-filters")
    phone.get_by_test_id("sale-row-C01-000001").click()
    expect(phone.get_by_test_id("page-title")).to_have_text("Venta C01-000001")
    assert no_horizontal_scroll(phone)
    shot(phone, "sale-detail")


def test_more_pages_load_on_demand(new_page: Any, owner: CloudAdmin) -> None:
    s = shop(owner)
    ops = [
        sale_op(
            [(uuid.UUID(s.rice), "1", "1000.00")], number=n, client_ts=NOW - timedelta(seconds=n)
        )
        for n in range(1, 56)
    ]
    for op in ops:
        op["payload"]["sale"]["receipt_prefix"] = "C01"
    for batch in (ops[:30], ops[30:]):  # a push carries at most 50 ops
        assert {r["status"] for r in s.till.push(*batch)} == {"applied"}
    page = new_page(WIDE)
    sign_in(page)
    go(page, "/ventas")
    rows = page.locator("[data-testid^=sale-row-]")
    expect(rows).to_have_count(50)  # one page from the server, not everything
    page.get_by_test_id("load-more").click()
    expect(rows).to_have_count(55)
    expect(rows.nth(54)).to_contain_text("C01-000055")
    expect(page.get_by_test_id("load-more")).to_be_hidden()


def test_a_manager_sees_only_its_sede(new_page: Any, owner: CloudAdmin) -> None:
    s = shop(owner)
    s.till.sell(s.rice, 1)
    s.till_norte.sell(s.rice, 1, prefix="C02")
    owner.user("gerente@example.com", "Gina Gerente", "manager", s.centro)
    norte_sale = sale_ids(owner)["C02-000001"]
    page = new_page(PHONE)
    sign_in(page, "gerente@example.com")
    go(page, "/ventas")
    rows = page.locator("[data-testid^=sale-row-]")
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("C01-000001")
    page.get_by_test_id("filters-toggle").click()
    expect(page.get_by_test_id("filter-caja")).to_be_visible()
    expect(page.get_by_test_id("filter-sede")).to_have_count(0)  # no sede picker
    shot(page, "sales-manager")
    # Another sede's sale by its URL, or its caja as a filter: nothing of it.
    go(page, f"/ventas/{norte_sale}")
    expect(page.get_by_test_id("sale-not-found")).to_be_visible()
    expect(page.get_by_text("C02-000001")).to_have_count(0)
    go(page, f"/ventas?device_id={s.till_norte.device_id}")
    expect(page.get_by_test_id("sales-empty")).to_be_visible()
    # Live for its own sede only: a sale at Norte is not shown, one at Centro is.
    go(page, "/ventas")
    s.till_norte.sell(s.rice, 2, prefix="C02")
    s.till.sell(s.rice, 2)
    expect(row(page, "C01-000002")).to_be_visible(timeout=5_000)
    expect(row(page, "C02-000002")).to_have_count(0)


def test_another_tenant_sees_nothing_of_this_one(new_page: Any, owner: CloudAdmin) -> None:
    s = shop(owner)
    s.till.sell(s.rice, 1)
    sale = sale_ids(owner)["C01-000001"]
    CloudAdmin.signup(owner.url, "Otra Tienda", email="otra@example.com")
    page = new_page(WIDE)
    sign_in(page, "otra@example.com")
    go(page, "/ventas")
    expect(page.get_by_test_id("sales-empty")).to_be_visible()
    go(page, f"/ventas/{sale}")
    expect(page.get_by_test_id("sale-not-found")).to_be_visible()
    expect(page.get_by_text("Arroz")).to_have_count(0)
    go(page, f"/ventas?device_id={s.till.device_id}&sede_id={s.centro}")
    expect(page.locator("[data-testid^=sale-row-]")).to_have_count(0)
    go(page, "/ventas/not-a-sale")
    expect(page.get_by_test_id("sale-not-found")).to_be_visible()
