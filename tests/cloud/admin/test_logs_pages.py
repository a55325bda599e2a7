"""The audit log and sync log screens in Chromium: the owner's product edit read back with
its before and after, pages on demand; a caja's rejected op with its reason and payload,
each sede's sync health; a manager's view (no audit log, its sede's sync only); another
tenant sees nothing of this one."""

from __future__ import annotations

import re
import uuid
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
from tests.cloud.admin.test_sales_pages import Shop, shop
from tests.cloud.sync.ops import sale_op
from tests.fixtures.cloud_admin import CloudAdmin


def edit_price(admin: CloudAdmin, product: str, price: str) -> None:
    r = httpx.patch(
        f"{admin.url}/api/products/{product}",
        json={"version": 1, "price": price},
        headers=admin.headers,
    )
    assert r.status_code == 200, r.text


def audit_entries(admin: CloudAdmin, **params: Any) -> list[dict[str, Any]]:
    r = httpx.get(f"{admin.url}/api/audit-logs", params=params, headers=admin.headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def created_entry(admin: CloudAdmin, product: str) -> dict[str, Any]:
    (entry,) = audit_entries(admin, entity_type="products", entity_id=product)
    return entry


def rejected_sale(s: Shop) -> dict[str, Any]:
    """A sale of a product the cloud has never heard of: the cloud rejects it."""
    op = sale_op([(uuid.uuid4(), "1", "900.00")], number=7)
    op["payload"]["sale"]["receipt_prefix"] = "C01"
    (result,) = s.till.push(op)
    assert result["status"] == "rejected", result
    assert result.get("reason"), result
    return {**op, "reason": result["reason"]}


def test_audit_log_shows_the_owners_product_edit(new_page: Any, owner: CloudAdmin) -> None:
    owner.post("/api/sedes", {"name": "Centro"})
    for n in range(55):  # more than one page of entries
        owner.product(sku=f"P-{n:03d}", name=f"Producto {n}", price="1000.00")
    product = owner.product(sku="CAF-1", name="Café Sello Rojo", price="9500.00")
    edit_price(owner, product, "9900.00")
    (edit,) = [
        e for e in audit_entries(owner, entity_type="products") if e["action"] == "products.updated"
    ]

    page = new_page(WIDE)
    sign_in(page)
    go(page, "/auditoria")
    rows = page.locator("[data-testid^=audit-row-]")
    expect(rows).to_have_count(50)  # one page from the server
    page.get_by_test_id("load-more").click()
    expect(rows).not_to_have_count(50)
    # Products edited by the owner: the edit of the price, by the owner, with its new value
    # (a versioned edit is one UPDATE statement: the trail keeps its values, not the row's
    # old state).
    page.get_by_test_id("filter-entity-type").click()
    page.get_by_role("option", name="products", exact=True).click()
    page.get_by_test_id("filter-user").click()
    page.get_by_role("option").first.click()
    page.get_by_test_id("filters-apply").click()
    edit_row = page.get_by_test_id(f"audit-row-{edit['id']}")
    expect(edit_row).to_contain_text("products.updated")
    me = httpx.get(f"{owner.url}/api/me", headers=owner.headers).json()
    expect(edit_row).to_contain_text(str(me["user"]["name"] or me["user"]["email"]))
    expect(edit_row).to_contain_text(product)
    change = page.get_by_test_id(f"change-{edit['id']}")
    expect(change).to_be_hidden()
    page.get_by_test_id(f"expand-{edit['id']}").click()
    expect(change).to_be_visible()
    expect(change).to_contain_text("price")
    expect(change).to_contain_text("9900.00")
    expect(change).not_to_contain_text("tenant_id_1")
    shot(page, "audit")
    # The owner as the user filter keeps it; a date range in the future finds nothing.
    created = page.get_by_test_id(f"audit-row-{created_entry(owner, product)['id']}")
    page.get_by_test_id(f"expand-{created_entry(owner, product)['id']}").click()
    expect(page.get_by_test_id(f"change-{created_entry(owner, product)['id']}")).to_contain_text(
        "9500.00"
    )
    expect(created).to_contain_text("products.created")
    page.get_by_test_id("filter-from").fill("2099-01-01")
    page.get_by_test_id("filters-apply").click()
    expect(page.get_by_test_id("audit-empty")).to_be_visible()
    page.get_by_test_id("filter-to").fill("2098-01-01")
    page.get_by_test_id("filters-apply").click()
    expect(page.get_by_text("Hasta (fecha): debe ser igual o posterior").last).to_be_visible()

    phone = new_page(PHONE)
    sign_in(phone)
    go(phone, "/auditoria")
    expect(phone.locator("[data-testid^=audit-row-]")).to_have_count(50)
    expect(phone.get_by_test_id("filters-panel")).to_be_hidden()
    phone.locator("[data-testid^=expand-]").first.click()
    assert no_horizontal_scroll(phone)
    shot(phone, "audit")


def test_sync_log_shows_a_rejected_op_with_its_reason(new_page: Any, owner: CloudAdmin) -> None:
    s = shop(owner)
    s.till.sell(s.rice, 1)
    s.till_norte.sell(s.rice, 1, prefix="C02")
    bad = rejected_sale(s)

    page = new_page(WIDE)
    sign_in(page)
    go(page, "/sincronizacion")
    expect(page.get_by_test_id(f"health-{s.centro}")).to_be_visible()
    expect(page.get_by_test_id(f"health-{s.norte}")).to_be_visible()
    expect(page.get_by_test_id(f"health-errors-{s.centro}")).to_have_text("1")
    expect(page.get_by_test_id(f"health-errors-{s.norte}")).to_have_text("0")
    rows = page.locator("[data-testid^=sync-row-]")
    expect(rows).to_have_count(3)
    rejected = page.get_by_test_id(f"sync-row-{bad['op_id']}")
    expect(rejected).to_contain_text("Rechazada")
    expect(rejected).to_contain_text(bad["reason"])
    expect(rejected).to_have_class(re.compile("bg-red-50"))
    payload = page.get_by_test_id(f"payload-{bad['op_id']}")
    expect(payload).to_be_hidden()
    page.get_by_test_id(f"expand-{bad['op_id']}").click()
    expect(payload).to_be_visible()
    expect(payload).to_contain_text(bad["payload"]["movements"][0]["product_id"])
    shot(page, "sync-log")

    # Filters: status, kind, sede.
    page.get_by_test_id("filter-status").click()
    page.get_by_role("option", name="Rechazada").click()
    page.get_by_test_id("filters-apply").click()
    expect(rows).to_have_count(1)
    page.get_by_test_id("filters-clear").click()
    expect(rows).to_have_count(3)
    page.get_by_test_id("filter-kind").click()
    page.get_by_role("option", name="Apertura de turno").click()
    page.get_by_test_id("filters-apply").click()
    expect(page.get_by_test_id("sync-empty")).to_be_visible()
    page.get_by_test_id("filters-clear").click()
    page.get_by_test_id("filter-sede").click()
    page.get_by_role("option", name="Norte").click()
    page.get_by_test_id("filters-apply").click()
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("Caja Norte")
    page.get_by_test_id("filters-clear").click()
    # A new push shows up on the next notice, without a reload.
    s.till.sell(s.rice, 2)
    expect(rows).to_have_count(4, timeout=5_000)

    phone = new_page(PHONE)
    sign_in(phone)
    go(phone, "/sincronizacion")
    expect(phone.locator("[data-testid^=sync-row-]")).to_have_count(4)
    phone.get_by_test_id(f"expand-{bad['op_id']}").click()
    expect(phone.get_by_test_id(f"payload-{bad['op_id']}")).to_be_visible()
    assert no_horizontal_scroll(phone)
    shot(phone, "sync-log")


def test_a_manager_sees_its_sedes_sync_and_no_audit_log(new_page: Any, owner: CloudAdmin) -> None:
    s = shop(owner)
    s.till.sell(s.rice, 1)
    s.till_norte.sell(s.rice, 1, prefix="C02")
    owner.user("gerente@example.com", "Gina Gerente", "manager", s.centro)
    page = new_page(PHONE)
    sign_in(page, "gerente@example.com")
    go(page, "/auditoria")
    expect(page.get_by_test_id("audit-admins-only")).to_be_visible()
    expect(page.locator("[data-testid^=audit-row-]")).to_have_count(0)
    go(page, "/sincronizacion")
    expect(page.get_by_test_id(f"health-{s.centro}")).to_be_visible()
    expect(page.get_by_test_id(f"health-{s.norte}")).to_have_count(0)
    rows = page.locator("[data-testid^=sync-row-]")
    expect(rows).to_have_count(1)
    expect(page.get_by_text("Caja Norte")).to_have_count(0)
    page.get_by_test_id("filters-toggle").click()
    expect(page.get_by_test_id("filter-caja")).to_be_visible()
    expect(page.get_by_test_id("filter-sede")).to_have_count(0)
    assert no_horizontal_scroll(page)
    shot(page, "sync-log-manager")


def test_another_tenant_sees_nothing_of_this_one(new_page: Any, owner: CloudAdmin) -> None:
    s = shop(owner)
    s.till.sell(s.rice, 1)
    rejected_sale(s)
    edit_price(owner, s.rice, "2600.00")
    CloudAdmin.signup(owner.url, "Otra Tienda", email="otra@example.com")
    page = new_page(WIDE)
    sign_in(page, "otra@example.com")
    go(page, "/sincronizacion")
    expect(page.get_by_test_id("sync-empty")).to_be_visible()
    expect(page.locator("[data-testid^=health-]")).to_have_count(0)
    go(page, "/auditoria")
    expect(page.locator("[data-testid^=audit-row-]").first).to_be_visible()
    expect(page.get_by_text("products.updated")).to_have_count(0)
    page.get_by_test_id("filter-entity-id").fill(s.rice)
    page.get_by_test_id("filters-apply").click()
    expect(page.get_by_test_id("audit-empty")).to_be_visible()
