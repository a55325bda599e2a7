"""An owner's first day in the web admin, end to end, in Chromium against a real cloud.

Sign up, open two sedes, get an activation code from the screen, activate a caja from the
CLI with it and see the sede come online, import the catalog from a CSV, edit a product
that someone else changed meanwhile (the conflict is shown, the edit redone), watch a sale
made at the caja reach the dashboard without a reload, and read the edit in the audit log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.cloud.admin.conftest import WIDE, expect, go, shot
from tests.cloud.admin.test_live_dashboard import caja_process, start_caja
from tests.fixtures.cloud_admin import PASSWORD
from tests.fixtures.cloud_process import CloudProcess

__all__ = ["caja_process"]

EMAIL = "marta@example.com"


def _sign_up(page: Any) -> None:
    page.goto("/admin/registro")
    page.get_by_test_id("signup-name").fill("Mercado La 14")
    page.get_by_test_id("signup-legal").fill("Mercado La 14 S.A.S.")
    page.get_by_test_id("signup-tax-id").fill("900123456-7")
    page.get_by_test_id("signup-owner").fill("Marta Ruiz")
    page.get_by_test_id("signup-email").fill(EMAIL)
    page.get_by_test_id("signup-password").fill(PASSWORD)
    page.get_by_test_id("signup-submit").click()
    expect(page.get_by_test_id("tenant-name")).to_have_text("Mercado La 14")


def _open_sede(page: Any, name: str) -> str:
    go(page, "/sedes")
    page.get_by_test_id("sede-new").click()
    page.get_by_test_id("sede-name").fill(name)
    page.get_by_test_id("sede-save").click()
    expect(page.get_by_test_id("page-title")).to_have_text(name)
    return str(page.url.rsplit("/", 1)[-1])


def _owner_headers(url: str) -> dict[str, str]:
    tokens = httpx.post(f"{url}/api/auth/login", json={"email": EMAIL, "password": PASSWORD})
    assert tokens.status_code == 200, tokens.text
    return {"Authorization": f"Bearer {tokens.json()['access_token']}"}


def test_an_owner_runs_the_business_from_the_browser(
    new_page: Any, cloud_process: CloudProcess, caja_process: dict[str, Any], tmp_path: Path
):
    url = cloud_process.url
    page = new_page(WIDE)
    _sign_up(page)
    centro = _open_sede(page, "Centro")
    _open_sede(page, "Norte")
    owner = _owner_headers(url)
    cashier = {"email": "cajero@example.com", "name": "Carlos Cajero", "password": PASSWORD}
    r = httpx.post(
        f"{url}/api/users", json={**cashier, "role": "cashier", "sede_id": centro}, headers=owner
    )
    assert r.status_code == 201, r.text

    # The catalog from a CSV file: a trial run first, then the import.
    csv_file = tmp_path / "catalogo.csv"
    csv_file.write_text(
        "sku,name,barcode,price,category\n"
        "ARROZ-1,Arroz Diana 1 kg,7702001000011,4500,Granos\n"
        "LECHE-1,Leche entera 1 L,7702001000028,3900,Lácteos\n",
        encoding="utf-8",
    )
    go(page, "/catalogo")
    page.get_by_test_id("catalog-import").click()
    page.get_by_test_id("import-file").locator("input[type=file]").set_input_files(str(csv_file))
    page.get_by_test_id("import-dry-run").click()
    expect(page.get_by_test_id("import-summary")).to_contain_text("2 nuevos")
    page.get_by_test_id("import-run").click()
    expect(page.get_by_test_id("import-report-title")).to_have_text("Importación terminada")
    page.get_by_test_id("import-close").click()
    table = page.get_by_test_id("catalog-table")
    expect(table).to_contain_text("Arroz Diana 1 kg")

    # A code from the screen activates a caja from the CLI; the sede comes online.
    go(page, f"/sedes/{centro}")
    page.get_by_test_id("code-generate").click()
    code = page.get_by_test_id("code-value").inner_text()
    page.get_by_test_id("code-close").click()
    local = start_caja(url, code, tmp_path, caja_process)
    go(page, "/")
    expect(page.get_by_test_id(f"sede-online-{centro}")).to_have_text("En línea", timeout=30_000)

    # Someone edits the rice's price while the owner renames it: the conflict is shown and
    # the owner's change is redone on top of the current row.
    go(page, "/catalogo")
    page.get_by_test_id("edit-ARROZ-1").click()
    page.get_by_test_id("product-name").fill("Arroz Diana 1 kg (bolsa)")
    rice = httpx.get(f"{url}/api/products", params={"q": "ARROZ-1"}, headers=owner).json()
    (product,) = rice["items"]
    r = httpx.patch(
        f"{url}/api/products/{product['id']}",
        json={"version": product["version"], "price": "4800"},
        headers=owner,
    )
    assert r.status_code == 200, r.text
    page.get_by_test_id("product-save").click()
    expect(page.get_by_test_id("conflict-table")).to_contain_text("$ 4.800")
    page.get_by_test_id("conflict-redo").click()
    expect(table).to_contain_text("Arroz Diana 1 kg (bolsa)")
    expect(table).to_contain_text("$ 4.800")

    # A sale at the caja (it has pulled the new price) reaches the dashboard by itself.
    go(page, "/")
    expect(page.get_by_test_id("today")).to_have_text("$ 0")
    with httpx.Client(base_url=local, timeout=30) as caja:
        login = caja.post("/login", json={"email": cashier["email"], "password": PASSWORD})
        assert login.status_code == 200, login.text
        caja.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        for _ in range(100):  # the caja pulls the edited price within a few seconds
            found = caja.get("/products", params={"q": "ARROZ-1"}).json()
            items = found.get("items", found) if isinstance(found, dict) else found
            if items and str(items[0].get("price")) in ("4800", "4800.00"):
                break
            page.wait_for_timeout(200)
        sold = caja.post(
            "/sales",
            json={
                "lines": [{"barcode": "7702001000011", "quantity": "1"}],
                "payments": [{"method": "cash", "amount": "4800"}],
            },
        )
        assert sold.status_code == 201, sold.text
    expect(page.get_by_test_id("today")).to_have_text("$ 4.800", timeout=30_000)
    shot(page, "journey-dashboard")

    # The audit log has the owner's edit of the product.
    go(page, "/auditoria")
    expect(page.locator("[data-testid^=audit-row-]").first).to_be_visible()
    expect(page.get_by_text("products.updated").first).to_be_visible()
    shot(page, "journey-audit")
