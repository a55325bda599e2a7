"""The Stock screen in Chromium: the matrix product x sede, thresholds, opening stock, the
movements of a product; a manager's view of its own sede; another tenant sees nothing."""

from __future__ import annotations

import re
import uuid
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
from tests.cloud.sync.ops import sale_op
from tests.fixtures.cloud_admin import CloudAdmin
from tests.fixtures.cloud_process import CloudProcess


def _seed(owner: CloudAdmin) -> dict[str, str]:
    centro, norte = owner.sede("Centro"), owner.sede("Norte")
    ids = {
        "centro": centro,
        "norte": norte,
        "ARZ-1": owner.product(sku="ARZ-1", name="Arroz Diana 500 g", price="2500"),
        "FRJ-1": owner.product(sku="FRJ-1", name="Fríjol bola roja", price="4800"),
        "ACE-1": owner.product(sku="ACE-1", name="Aceite Girasol 1 L", price="9900"),
    }
    owner.opening(centro, {"ARZ-1": "10", "FRJ-1": "3"})
    owner.opening(norte, {"ARZ-1": "5"})
    return ids


def _sell_at_caja(owner: CloudAdmin, sede: str, product: str, units: str) -> None:
    """A caja activated with a code pushes a sale rung up 10 minutes ago (its clock)."""
    code = owner.activation_code(sede)
    r = httpx.post(f"{owner.url}/api/activate", json={"code": code, "device_name": "Caja 1"})
    assert r.status_code == 200, r.text
    device = r.json()
    op = sale_op(
        [(uuid.UUID(product), units, "2500.00")],
        client_ts=datetime.now(UTC) - timedelta(minutes=10),
    )
    body = {"sede_id": sede, "device_id": device["device"]["id"], "operations": [op]}
    headers = {"Authorization": f"Bearer {device['device_credential']}"}
    r = httpx.post(f"{owner.url}/api/sync/push", json=body, headers=headers)
    assert r.status_code == 200, r.text
    assert {x["status"] for x in r.json()["results"]} == {"applied"}


def _pick(page: Any, testid: str, option: str) -> None:
    page.get_by_test_id(testid).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_owner_stock_journey(new_page: Any, owner: CloudAdmin) -> None:
    ids = _seed(owner)
    centro, norte = ids["centro"], ids["norte"]
    page = new_page(WIDE)
    sign_in(page)
    go(page, "/inventario")
    expect(page.get_by_test_id("page-title")).to_have_text("Inventario")
    matrix = page.get_by_test_id("stock-matrix")
    expect(matrix).to_contain_text("Centro")
    expect(matrix).to_contain_text("Norte")
    expect(page.get_by_test_id("total-ARZ-1")).to_have_text("15")
    expect(page.get_by_test_id(f"cell-ARZ-1-{centro}")).to_have_text("10")
    expect(page.get_by_test_id(f"cell-FRJ-1-{norte}")).to_have_text("0")

    # Thresholds from the matrix: a maximum under the minimum is named; then FRJ-1 is low.
    page.get_by_test_id(f"cell-FRJ-1-{centro}").click()
    dialog = page.get_by_test_id("thresholds")
    expect(dialog).to_contain_text("Fríjol bola roja")
    page.get_by_test_id("threshold-min").fill("5")
    page.get_by_test_id("threshold-max").fill("2")
    page.get_by_test_id("threshold-save").click()
    expect(dialog).to_contain_text("Máximo: debe ser mayor o igual que el mínimo")
    page.get_by_test_id("threshold-max").fill("abc")
    page.get_by_test_id("threshold-save").click()
    expect(dialog).to_contain_text("Máximo: no es un número válido")
    page.get_by_test_id("threshold-max").fill("40")
    page.get_by_test_id("threshold-save").click()
    expect(dialog).to_be_hidden()
    low = page.get_by_test_id(f"cell-FRJ-1-{centro}")
    expect(low).to_have_attribute("data-state", "low")
    expect(low).to_have_class(re.compile(r"stocky-low"))
    expect(page.get_by_test_id(f"cell-ARZ-1-{centro}")).to_have_attribute("data-state", "ok")
    listed = httpx.get(
        f"{owner.url}/api/inventory",
        params={"sede_id": centro, "q": "FRJ-1"},
        headers=owner.headers,
    ).json()["items"][0]
    assert (listed["min_stock"], listed["max_stock"]) == ("5.000", "40.000")
    shot(page, "stock-matrix")

    # One sede: its list with minimum and maximum, and the status filter.
    _pick(page, "stock-sede", "Centro")
    expect(page.get_by_test_id("stock-list")).to_be_visible()
    expect(page.get_by_test_id("max-FRJ-1")).to_have_text("40")
    _pick(page, "stock-status", "Solo bajos")
    expect(page.get_by_test_id("product-link-FRJ-1")).to_be_visible()
    expect(page.get_by_test_id("product-link-ARZ-1")).to_have_count(0)
    _pick(page, "stock-sede", "Todas las sedes")
    expect(page.get_by_test_id("stock-matrix")).to_be_visible()

    # Search narrows the matrix (server-side).
    page.get_by_test_id("stock-search").fill("aceite")
    page.get_by_test_id("stock-search").press("Enter")
    expect(page.get_by_test_id("product-link-ARZ-1")).to_have_count(0)
    expect(page.get_by_test_id("product-link-ACE-1")).to_be_visible()
    page.get_by_test_id("stock-search").fill("")
    page.get_by_test_id("stock-search").press("Enter")
    expect(page.get_by_test_id("product-link-ARZ-1")).to_be_visible()

    # Opening stock from the screen: a try reports the bad line, then the good one loads.
    page.get_by_test_id("opening-open").click()
    _pick(page, "opening-sede", "Norte")
    page.get_by_test_id("opening-lines").fill("ACE-1; 7\n\nNOPE-9; 2")
    page.get_by_test_id("opening-try").click()
    expect(page.get_by_test_id("opening-applied")).to_have_text(
        "Se aplicarían: 1 (prueba, nada guardado)"
    )
    errors = page.get_by_test_id("opening-errors")
    expect(errors).to_contain_text("3")  # the text's line, blank lines counted
    expect(errors).to_contain_text("SKU")
    expect(errors).to_contain_text("no such product")
    expect(page.get_by_test_id(f"cell-ACE-1-{norte}")).to_have_text("0")  # nothing saved
    page.get_by_test_id("opening-lines").fill("ACE-1; abc")
    page.get_by_test_id("opening-try").click()
    expect(page.get_by_test_id("opening-errors")).to_contain_text("Cantidad")
    page.get_by_test_id("opening-lines").fill("ACE-1; 7")
    page.get_by_test_id("opening-apply").click()
    expect(page.get_by_test_id("opening-applied")).to_have_text("Aplicadas: 1")
    # The CSV import: first only tried (the box comes ticked), then loaded.
    csv = {"name": "apertura.csv", "mimeType": "text/csv", "buffer": b"sku,cantidad\nFRJ-1,4\n"}
    uploader = page.get_by_test_id("opening-csv").locator("input[type=file]")
    uploader.set_input_files(files=[csv])
    expect(page.get_by_test_id("opening-applied")).to_have_text(
        "Se aplicarían: 1 (prueba, nada guardado)"
    )
    page.get_by_test_id("opening-csv-dry-run").click()
    uploader.set_input_files(files=[csv])
    expect(page.get_by_test_id("opening-applied")).to_have_text("Aplicadas: 1")
    shot(page, "stock-opening")
    page.get_by_test_id("opening-close").click()
    expect(page.get_by_test_id(f"cell-FRJ-1-{norte}")).to_have_text("4")
    # The matrix heard the inventory notice and redrew, without a reload.
    expect(page.get_by_test_id(f"cell-ACE-1-{norte}")).to_have_text("7")
    expect(page.get_by_test_id("total-ACE-1")).to_have_text("7")

    # Live: stock moved over the API elsewhere shows up on the open page.
    owner.opening(centro, {"ACE-1": "2"})
    expect(page.get_by_test_id("total-ACE-1")).to_have_text("9")

    # A caja sells more rice than Centro holds: the cell turns negative, live.
    _sell_at_caja(owner, centro, ids["ARZ-1"], "12")
    negative = page.get_by_test_id(f"cell-ARZ-1-{centro}")
    expect(negative).to_have_text("-2")
    expect(negative).to_have_attribute("data-state", "negative")
    expect(negative).to_have_class(re.compile(r"stocky-negative"))
    expect(page.get_by_test_id("total-ARZ-1")).to_have_text("3")
    shot(page, "stock-matrix-negative")

    # The movements of a product: both times, sede, the caja and user; a sede filter.
    page.get_by_test_id("product-link-ARZ-1").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Movimientos de Arroz Diana 500 g")
    table = page.get_by_test_id("mv-table")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table).to_contain_text("Hora en la caja")
    expect(table).to_contain_text("Hora en la nube")
    sale = table.locator("tbody tr").first  # newest by the cloud's time
    expect(sale.get_by_test_id("mv-kind")).to_have_text("Venta")
    expect(sale.get_by_test_id("mv-qty")).to_have_text("-12")
    expect(sale.get_by_test_id("mv-caja")).to_have_text("Caja 1")
    expect(sale.get_by_test_id("mv-sede")).to_have_text("Centro")
    stamp = re.compile(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}")
    client = sale.get_by_test_id("mv-client").inner_text()
    server = sale.get_by_test_id("mv-server").inner_text()
    assert stamp.fullmatch(client)
    assert stamp.fullmatch(server)
    assert client != server  # the caja's clock, 10 minutes before the cloud heard it
    entry = table.locator("tbody tr").last
    expect(entry.get_by_test_id("mv-kind")).to_have_text("Entrada")
    expect(entry.get_by_test_id("mv-caja")).to_have_text("Nube (admin)")
    expect(entry.get_by_test_id("mv-user")).not_to_have_text("—")
    expect(table).to_contain_text("+10")
    expect(table).to_contain_text("+5")
    shot(page, "stock-movements")
    _pick(page, "mv-sede-filter", "Norte")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr").first.get_by_test_id("mv-qty")).to_have_text("+5")
    expect(table.locator("tbody tr").first.get_by_test_id("mv-sede")).to_have_text("Norte")

    phone = new_page(PHONE)
    sign_in(phone)
    go(phone, "/inventario")
    expect(phone.get_by_test_id("total-ARZ-1")).to_have_text("3")
    assert no_horizontal_scroll(phone)
    shot(phone, "stock-matrix")
    phone.get_by_test_id("opening-open").click()
    expect(phone.get_by_test_id("opening-lines")).to_be_visible()
    assert no_horizontal_scroll(phone)
    shot(phone, "stock-opening")
    phone.get_by_test_id("opening-close").click()
    go(phone, f"/inventario/{ids['ARZ-1']}")
    expect(phone.get_by_test_id("mv-table").locator("tbody tr")).to_have_count(3)
    assert no_horizontal_scroll(phone)
    shot(phone, "stock-movements")


def test_manager_sees_only_its_sede(new_page: Any, owner: CloudAdmin) -> None:
    ids = _seed(owner)
    centro, norte = ids["centro"], ids["norte"]
    owner.user("gerente@example.com", "Gina Gerente", "manager", centro)
    page = new_page(PHONE)
    sign_in(page, "gerente@example.com")
    go(page, "/inventario")
    expect(page.get_by_test_id("stock-own-sede")).to_have_text("Centro")
    expect(page.get_by_test_id("stock-list")).to_be_visible()
    expect(page.get_by_test_id("stock-matrix")).to_have_count(0)
    expect(page.get_by_test_id("stock-sede")).to_have_count(0)  # no sede picker
    expect(page.get_by_test_id("opening-open")).to_have_count(0)  # opening: admins only
    expect(page.get_by_test_id(f"cell-ARZ-1-{centro}")).to_have_text("10")
    expect(page.get_by_test_id(f"cell-ARZ-1-{norte}")).to_have_count(0)
    expect(page.get_by_test_id("stock-scroll")).not_to_contain_text("Norte")
    assert no_horizontal_scroll(page)
    shot(page, "stock-manager")

    # Thresholds at its own sede (the API allows it there), with the status filter after.
    page.get_by_test_id("thresholds-FRJ-1").click()
    page.get_by_test_id("threshold-min").fill("")
    page.get_by_test_id("threshold-save").click()
    expect(page.get_by_test_id("thresholds")).to_contain_text("Mínimo: es obligatorio")
    shot(page, "stock-thresholds-manager")
    page.get_by_test_id("threshold-min").fill("4")
    page.get_by_test_id("threshold-save").click()
    expect(page.get_by_test_id("thresholds")).to_be_hidden()
    expect(page.get_by_test_id(f"cell-FRJ-1-{centro}")).to_have_attribute("data-state", "low")
    _pick(page, "stock-status", "Solo bajos")
    expect(page.get_by_test_id("product-link-ARZ-1")).to_have_count(0)
    expect(page.get_by_test_id("product-link-FRJ-1")).to_be_visible()

    # Movements: only its sede's, no sede picker.
    go(page, f"/inventario/{ids['ARZ-1']}")
    expect(page.get_by_test_id("mv-own-sede")).to_have_text("Centro")
    expect(page.get_by_test_id("mv-sede-filter")).to_have_count(0)
    rows = page.get_by_test_id("mv-table").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.get_by_test_id("mv-sede")).to_have_text("Centro")
    assert no_horizontal_scroll(page)
    shot(page, "stock-movements-manager")

    # The API's own rules stand behind the hidden buttons.
    login = httpx.post(
        f"{owner.url}/api/auth/login",
        json={"email": "gerente@example.com", "password": "correct horse battery"},
    ).json()
    headers = {"Authorization": f"Bearer {login['access_token']}"}
    other = httpx.put(
        f"{owner.url}/api/inventory/{norte}/{ids['ARZ-1']}/thresholds",
        json={"min_stock": "1"},
        headers=headers,
    )
    assert other.status_code == 403
    opening = httpx.post(
        f"{owner.url}/api/inventory/{centro}/opening",
        json={"lines": [{"sku": "ACE-1", "quantity": "1"}]},
        headers=headers,
    )
    assert opening.status_code == 403


def test_another_tenant_sees_nothing(
    new_page: Any, owner: CloudAdmin, cloud_process: CloudProcess
) -> None:
    ids = _seed(owner)
    other = CloudAdmin.signup(cloud_process.url, "Otra Tienda", email="otra@example.com")
    page = new_page(WIDE)
    sign_in(page, "otra@example.com")
    go(page, "/inventario")
    expect(page.get_by_test_id("stock-empty")).to_be_visible()
    expect(page.get_by_test_id("stock-scroll")).not_to_contain_text("Arroz")
    expect(page.get_by_test_id("stock-scroll")).not_to_contain_text("Centro")
    page.get_by_test_id("stock-search").fill("ARZ-1")
    page.get_by_test_id("stock-search").press("Enter")
    expect(page.get_by_test_id("stock-empty")).to_be_visible()
    go(page, f"/inventario/{ids['ARZ-1']}")
    expect(page.get_by_test_id("not-found")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Arroz")
    go(page, "/inventario/not-a-product")
    expect(page.get_by_test_id("not-found")).to_be_visible()

    # Its own catalog pages on the server, 50 products a page.
    for n in range(52):
        other.product(sku=f"P-{n:03d}", name=f"Producto {n:03d}", price="1000")
    go(page, "/inventario")
    expect(page.get_by_test_id("stock-page")).to_have_text("Página 1")
    expect(page.get_by_test_id("product-link-P-049")).to_be_visible()
    expect(page.get_by_test_id("product-link-P-050")).to_have_count(0)
    page.get_by_test_id("stock-next").click()
    expect(page.get_by_test_id("stock-page")).to_have_text("Página 2")
    expect(page.get_by_test_id("product-link-P-051")).to_be_visible()
    expect(page.get_by_test_id("product-link-P-000")).to_have_count(0)
    page.get_by_test_id("stock-prev").click()
    expect(page.get_by_test_id("product-link-P-000")).to_be_visible()
