"""The web admin's Catalog screen in Chromium, against a real cloud process: search and
filters on server-side pages, create and edit with a version conflict redone on the current
row, deactivate, an image shown in the table, CSV trial + import + export, live redraws;
a manager's view; another tenant's ids show nothing."""

from __future__ import annotations

import struct
import uuid
import zlib
from pathlib import Path
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
from tests.fixtures.cloud_admin import CloudAdmin
from tests.fixtures.cloud_process import CloudProcess

ROWS = '[data-testid="catalog-table"] tbody tr'


def _png(path: Path) -> Path:
    """A real 8x8 teal PNG (the API tells images by their bytes; the browser draws it)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x0f\x76\x6e" * 8 for _ in range(8))
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    path.write_bytes(png)
    return path


def _get(owner: CloudAdmin, product_id: str) -> dict[str, Any]:
    r = httpx.get(f"{owner.url}/api/products/{product_id}", headers=owner.headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _sku_id(owner: CloudAdmin, sku: str) -> str:
    r = httpx.get(f"{owner.url}/api/products", params={"q": sku}, headers=owner.headers)
    return str(next(p["id"] for p in r.json()["items"] if p["sku"] == sku))


def test_catalog_journey(new_page: Any, owner: CloudAdmin, tmp_path: Path):
    cafe = owner.product(
        sku="CAFE-1",
        name="Café molido 500 g",
        category="Despensa",
        price="18500",
        barcode="7701234567890",
    )
    page = new_page(WIDE)
    sign_in(page)
    go(page, "/catalogo")
    table = page.get_by_test_id("catalog-table")
    expect(table).to_contain_text("Café molido 500 g")
    expect(table).to_contain_text("$ 18.500")

    # Create: the empty form names each required field, in Spanish.
    page.get_by_test_id("catalog-new").click()
    page.get_by_test_id("product-save").click()
    expect(page.get_by_text("SKU: es obligatorio").last).to_be_visible()
    expect(page.get_by_text("Precio de venta: es obligatorio").last).to_be_visible()
    page.get_by_test_id("product-sku").fill("ARROZ-1")
    page.get_by_test_id("product-name").fill("Arroz Diana 1 kg")
    page.get_by_test_id("product-category").fill("Despensa")
    page.get_by_test_id("product-price").fill("4.200")
    page.get_by_test_id("product-tax-rate").fill("cien")
    page.get_by_test_id("product-save").click()
    expect(page.get_by_text("IVA (%): no es un número válido").last).to_be_visible()
    page.get_by_test_id("product-tax-rate").fill("19")
    page.get_by_test_id("product-save").click()
    expect(page.get_by_text("Producto creado").last).to_be_visible()
    expect(table).to_contain_text("Arroz Diana 1 kg")
    arroz = _sku_id(owner, "ARROZ-1")
    assert _get(owner, arroz)["tax_rate"] == "0.1900"
    assert _get(owner, arroz)["price"] == "4200.00"

    # A duplicate SKU comes back on the field, in the person's language.
    page.get_by_test_id("catalog-new").click()
    page.get_by_test_id("product-sku").fill("ARROZ-1")
    page.get_by_test_id("product-name").fill("Otro arroz")
    page.get_by_test_id("product-price").fill("1000")
    page.get_by_test_id("product-save").click()
    expect(page.get_by_text("SKU: ya lo usa otro producto").last).to_be_visible()
    page.get_by_test_id("product-cancel").click()

    # Search by barcode, by name; filter by category (server-side).
    page.get_by_test_id("catalog-search").fill("7701234567890")
    expect(page.locator(ROWS)).to_have_count(1)
    expect(table).to_contain_text("Café molido")
    page.get_by_test_id("catalog-search").fill("arroz")
    expect(page.locator(ROWS)).to_have_count(1)
    expect(table).to_contain_text("Arroz Diana")
    page.get_by_test_id("catalog-search").fill("")
    page.get_by_test_id("catalog-category").fill("Bebidas")
    expect(page.get_by_test_id("catalog-empty")).to_be_visible()
    page.get_by_test_id("catalog-category").fill("Despensa")
    expect(page.locator(ROWS)).to_have_count(2)
    page.get_by_test_id("catalog-category").fill("")

    # Live: a product created over the API appears without a reload.
    owner.product(sku="SAL-1", name="Sal refinada", price="1500")
    expect(table).to_contain_text("Sal refinada")

    # A stale edit: someone changes the price while the dialog is open.
    page.get_by_test_id("edit-CAFE-1").click()
    expect(page.get_by_test_id("product-version")).to_have_text("Versión 1")
    page.get_by_test_id("product-name").fill("Café molido premium 500 g")
    r = httpx.patch(
        f"{owner.url}/api/products/{cafe}",
        json={"version": 1, "price": "19900"},
        headers=owner.headers,
    )
    assert r.status_code == 200, r.text
    page.get_by_test_id("product-save").click()
    expect(page.get_by_test_id("conflict-title")).to_be_visible()
    conflict = page.get_by_test_id("conflict-table")
    expect(conflict).to_contain_text("$ 19.900")  # theirs, the current row
    expect(conflict).to_contain_text("Café molido premium 500 g")  # mine
    expect(conflict).to_contain_text("Café molido 500 g")  # the current name
    shot(page, "catalog-conflict")
    page.get_by_test_id("conflict-redo").click()
    expect(page.get_by_text("Producto guardado").last).to_be_visible()
    now = _get(owner, cafe)
    assert (now["name"], now["price"], now["version"]) == (
        "Café molido premium 500 g",
        "19900.00",
        3,
    )
    expect(table).to_contain_text("$ 19.900")

    # Discard: another stale edit, the person drops theirs and keeps the current row.
    page.get_by_test_id("edit-CAFE-1").click()
    page.get_by_test_id("product-price").fill("1")
    httpx.patch(
        f"{owner.url}/api/products/{cafe}",
        json={"version": 3, "category": "Café"},
        headers=owner.headers,
    ).raise_for_status()
    page.get_by_test_id("product-save").click()
    page.get_by_test_id("conflict-discard").click()
    expect(page.get_by_test_id("product-category")).to_have_value("Café")
    expect(page.get_by_test_id("product-price")).to_have_value("19.900")
    expect(page.get_by_test_id("product-version")).to_have_text("Versión 4")

    # Deactivate, with a confirmation.
    page.get_by_test_id("product-deactivate").click()
    page.get_by_test_id("deactivate-confirm").click()
    expect(page.get_by_text("Producto desactivado").last).to_be_visible()
    assert _get(owner, cafe)["active"] is False

    # An image uploaded from the dialog shows as the row's thumbnail.
    page.get_by_test_id("edit-ARROZ-1").click()
    page.get_by_test_id("product-image").locator("input[type=file]").set_input_files(
        str(_png(tmp_path / "arroz.png"))
    )
    expect(page.get_by_test_id("product-image-note")).to_have_text(
        "Imagen nueva lista: se sube al guardar"
    )
    page.get_by_test_id("product-save").click()
    expect(page.get_by_text("Producto guardado").last).to_be_visible()
    thumb = page.get_by_test_id("thumb-ARROZ-1")
    expect(thumb).to_be_visible()
    assert "/media/" in str(thumb.get_attribute("src"))
    # The browser fetched and decoded it (the signed /media URL answers the image).
    page.wait_for_function(
        "() => document.querySelector('[data-testid=thumb-ARROZ-1]')?.naturalWidth === 8"
    )

    # CSV: a trial first (nothing saved, the bad line named), then the import, then export.
    csv_file = tmp_path / "catalogo.csv"
    csv_file.write_text(
        "sku,name,price,category\n"
        "LECHE-1,Leche entera 1 L,3900,Lácteos\n"
        "PAN-1,Pan tajado,5200,Panadería\n"
        "MALO-1,Producto malo,abc,\n",
        encoding="utf-8",
    )
    page.get_by_test_id("catalog-import").click()
    page.get_by_test_id("import-file").locator("input[type=file]").set_input_files(str(csv_file))
    expect(page.get_by_test_id("import-file-note")).to_contain_text("catalogo.csv")
    expect(page.get_by_test_id("import-run")).to_be_disabled()
    page.get_by_test_id("import-dry-run").click()
    expect(page.get_by_test_id("import-report-title")).to_have_text("Prueba (nada se guardó)")
    expect(page.get_by_test_id("import-summary")).to_contain_text("2 nuevos")
    expect(page.get_by_test_id("import-summary")).to_contain_text("1 con error")
    expect(page.get_by_test_id("import-errors")).to_contain_text("price")
    shot(page, "catalog-import")
    r = httpx.get(f"{owner.url}/api/products", params={"q": "LECHE"}, headers=owner.headers)
    assert r.json()["items"] == []
    page.get_by_test_id("import-run").click()
    expect(page.get_by_test_id("import-report-title")).to_have_text("Importación terminada")
    page.get_by_test_id("import-close").click()
    expect(table).to_contain_text("Leche entera 1 L")
    with page.expect_download() as download:
        page.get_by_test_id("catalog-export").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert "LECHE-1" in exported
    assert "ARROZ-1" in exported
    shot(page, "catalog")

    # The phone: fewer columns, nothing to scroll sideways, the dialog fits.
    phone = new_page(PHONE)
    sign_in(phone)
    go(phone, "/catalogo")
    expect(phone.get_by_test_id("catalog-table")).to_contain_text("Leche entera 1 L")
    assert no_horizontal_scroll(phone)
    shot(phone, "catalog")
    phone.get_by_test_id("edit-ARROZ-1").click()
    expect(phone.get_by_test_id("product-save")).to_be_visible()
    assert no_horizontal_scroll(phone)
    shot(phone, "catalog-edit")


def test_a_manager_edits_the_catalog_page_by_page(
    new_page: Any, owner: CloudAdmin, cloud_process: CloudProcess
):
    """Products are the tenant's (not per sede) and the API lets managers edit them."""
    sede = owner.sede("Centro")
    owner.user("gerente@example.com", "Gina Gerente", "manager", sede)
    lines = "".join(f"P{n:03d},Producto {n:03d},{1000 + n}\n" for n in range(60))
    r = httpx.post(
        f"{owner.url}/api/products/import",
        content=("sku,name,price\n" + lines).encode(),
        headers={**owner.headers, "content-type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 60

    page = new_page(WIDE)
    sign_in(page, "gerente@example.com")
    go(page, "/catalogo")
    expect(page.locator(ROWS)).to_have_count(50)  # one server page, not the whole catalog
    expect(page.get_by_test_id("catalog-prev")).to_be_disabled()
    page.get_by_test_id("catalog-next").click()
    expect(page.locator(ROWS)).to_have_count(10)
    expect(page.get_by_test_id("catalog-page")).to_have_text("Página 2")
    expect(page.get_by_test_id("catalog-next")).to_be_disabled()
    # A live redraw keeps the page the person is on.
    owner.product(sku="Z-LIVE", name="Zeta en vivo", price="10")  # sorts last by name
    expect(page.locator(ROWS)).to_have_count(11)
    expect(page.get_by_test_id("catalog-table")).to_contain_text("Zeta en vivo")
    expect(page.get_by_test_id("catalog-page")).to_have_text("Página 2")
    page.get_by_test_id("catalog-prev").click()
    expect(page.locator(ROWS)).to_have_count(50)

    page.get_by_test_id("catalog-search").fill("P007")
    expect(page.locator(ROWS)).to_have_count(1)
    page.get_by_test_id("edit-P007").click()
    page.get_by_test_id("product-price").fill("-5")
    page.get_by_test_id("product-save").click()
    expect(page.get_by_text("Precio de venta: no puede ser negativo").last).to_be_visible()
    page.get_by_test_id("product-price").fill("2.500")
    page.get_by_test_id("product-save").click()
    expect(page.get_by_text("Producto guardado").last).to_be_visible()
    assert _get(owner, _sku_id(owner, "P007"))["price"] == "2500.00"
    expect(page.get_by_test_id("catalog-new")).to_be_visible()
    # A manager has no sede picker anywhere on this screen (the catalog is not per sede).
    expect(page.get_by_test_id("sede-picker")).to_have_count(0)


def test_another_tenant_sees_nothing_of_this_catalog(
    new_page: Any, owner: CloudAdmin, cloud_process: CloudProcess
):
    mine = owner.product(sku="SECRETO-1", name="Producto secreto", price="999", barcode="123987")
    CloudAdmin.signup(cloud_process.url, "Otra Tienda", email="otro@example.com")
    page = new_page(WIDE)
    sign_in(page, "otro@example.com")
    go(page, f"/catalogo/{mine}")
    expect(page.get_by_test_id("catalog-not-found")).to_be_visible()
    expect(page.get_by_test_id("catalog-empty")).to_be_visible()
    expect(page.get_by_text("Producto secreto")).to_have_count(0)
    for q in ("SECRETO", "123987", "secreto"):
        page.get_by_test_id("catalog-search").fill(q)
        expect(page.get_by_test_id("catalog-empty")).to_be_visible()
        expect(page.get_by_text("Producto secreto")).to_have_count(0)
    go(page, f"/catalogo/{uuid.uuid4()}")
    expect(page.get_by_test_id("catalog-not-found")).to_be_visible()
    go(page, "/catalogo/not-a-uuid")
    expect(page.get_by_test_id("catalog-not-found")).to_be_visible()
    # The owner's own link opens the product's dialog.
    own = new_page(WIDE)
    sign_in(own)
    go(own, f"/catalogo/{mine}")
    expect(own.get_by_test_id("product-sku")).to_have_value("SECRETO-1")
