"""CSV import and export of the catalog: exact reports, Spanish spreadsheets, 10,000 rows."""

from __future__ import annotations

import csv
import io
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from stocky.cloud.kit.csv_text import parse_decimal
from tests.cloud.factories import Shop

DEV_CATALOG = Path("/work/shared/data/catalog-dev.csv")


async def _import(
    client: httpx.AsyncClient, shop: Shop, data: bytes, *, dry_run: bool = False
) -> dict:
    url = "/api/products/import" + ("?dry_run=true" if dry_run else "")
    response = await client.post(
        url, content=data, headers=shop.manager | {"Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _products(client: httpx.AsyncClient, shop: Shop) -> dict[str, dict]:
    response = await client.get("/api/products?limit=200", headers=shop.cashier)
    return {p["sku"]: p for p in response.json()["items"]}


MIXED = (
    "sku,name,category,barcode,price,cost,tax_rate,unit,active\n"
    "A1,Arroz Diana 500 g,Granos,7701,2500,1800,19,unit,si\n"
    "A2,Frijol Bola Roja,Granos,7702,-5,1800,0,unit,true\n"
    "A3,,Granos,7703,3000,,0,unit,true\n"
    "A1,Arroz repetido,Granos,7704,2500,1800,0,unit,true\n"
    "A5,Papa Pastusa,Verduras,7701,1200,900,0,peso,true\n"
    "A6,Queso Campesino,Lácteos,7706,9800.555,7000,0,caja,quizas\n"
    "A7,Leche Alpina 1 L,Lácteos,7707,4200.50,3100,5%,unit,no\n"
    "A8,Papa Criolla,Verduras,,3400,2000,,weight,\n"
).encode()


@pytest.mark.asyncio
class TestImport:
    async def test_mixed_good_and_bad_rows_exact_report(self, client, shop) -> None:
        report = await _import(client, shop, MIXED)
        assert report["rows"] == 8
        assert (report["created"], report["updated"], report["unchanged"]) == (3, 0, 0)
        assert report["errors"] == [
            {"line": 3, "field": "price", "message": "must be 0 or more"},
            {"line": 4, "field": "name", "message": "required for a new product"},
            {"line": 5, "field": "sku", "message": "'A1' repeats line 2"},
            {"line": 6, "field": "barcode", "message": "'7701' repeats line 2"},
            {"line": 7, "field": "active", "message": "'quizas' is not yes or no"},
            {
                "line": 7,
                "field": "price",
                "message": "amount Decimal('9800.555') has more than 2 decimal places",
            },
            {
                "line": 7,
                "field": "unit",
                "message": "'caja' is not a unit: use 'unit' (unidad) or 'weight' (peso)",
            },
        ]
        products = await _products(client, shop)
        assert sorted(products) == ["A1", "A7", "A8"]
        assert products["A1"]["tax_rate"] == "0.1900"
        assert products["A1"]["price"] == "2500.00"
        assert products["A7"]["tax_rate"] == "0.0500"
        assert products["A7"]["active"] is False
        assert products["A8"]["unit"] == "weight"
        assert products["A8"]["barcode"] is None

    async def test_dry_run_reports_and_writes_nothing(self, client, shop) -> None:
        report = await _import(client, shop, MIXED, dry_run=True)
        assert report["dry_run"] is True
        assert report["created"] == 3
        assert len(report["errors"]) == 7
        assert await _products(client, shop) == {}

    async def test_semicolons_decimal_commas_spanish_headers_and_bom(self, client, shop) -> None:
        data = (
            "\ufeffSKU;Nombre;Categoría;Código de barras;Precio;Costo;IVA;Unidad;Activo\r\n"
            "B1;Café Sello Rojo 500 g;Despensa;7702001;1.234,50;980,5;19;und;sí\r\n"
            'B2;"Queso; campesino";Lácteos;7702002;12500;9.000;0,19;kg;1\r\n'
            "B3;Aceite 900 ml;Despensa;7702003;12.50;8,25;0;unidad;no\r\n"
        ).encode()
        report = await _import(client, shop, data)
        assert report["errors"] == []
        assert report["created"] == 3
        products = await _products(client, shop)
        assert products["B1"]["price"] == "1234.50"
        assert products["B1"]["cost"] == "980.50"
        assert products["B1"]["category"] == "Despensa"
        assert products["B1"]["tax_rate"] == "0.1900"
        assert products["B2"]["name"] == "Queso; campesino"
        assert products["B2"]["cost"] == "9000.00"
        assert products["B2"]["unit"] == "weight"
        assert products["B3"]["price"] == "12.50"
        assert products["B3"]["active"] is False

    async def test_update_by_sku_bumps_version_once_and_skips_unchanged(self, client, shop) -> None:
        await _import(client, shop, b"sku,name,price\nC1,Sal,1000\nC2,Azucar,2000\n")
        report = await _import(client, shop, b"sku,price\nC1,1100\nC2,2000\n")
        assert (report["created"], report["updated"], report["unchanged"]) == (0, 1, 1)
        products = await _products(client, shop)
        assert products["C1"]["price"] == "1100.00"
        assert products["C1"]["name"] == "Sal"  # a column the file lacks is kept
        assert products["C1"]["version"] == 2
        assert products["C2"]["version"] == 1

    async def test_barcode_of_another_product_in_the_tenant_is_refused(self, client, shop) -> None:
        await _import(client, shop, b"sku,name,price,barcode\nD1,Uno,1,4455\n")
        report = await _import(client, shop, b"sku,name,price,barcode\nD2,Dos,1,4455\n")
        assert report["errors"] == [
            {"line": 2, "field": "barcode", "message": "'4455' is already used by SKU 'D1'"}
        ]

    async def test_multipart_upload(self, client, shop) -> None:
        files = {"file": ("productos.csv", b"sku,name,price\nM1,Multi,1\n", "text/csv")}
        response = await client.post("/api/products/import", files=files, headers=shop.manager)
        assert response.status_code == 200, response.text
        assert response.json()["created"] == 1

    @pytest.mark.parametrize(
        "data",
        [b"", b"\xff\xfe\x00s\x00k\x00u", b"color,size\nred,1\n"],
        ids=["empty", "utf16", "no-usable-columns"],
    )
    async def test_unreadable_file_is_422_on_file(self, client, shop, data) -> None:
        response = await client.post(
            "/api/products/import",
            content=data,
            headers=shop.manager | {"Content-Type": "text/csv"},
        )
        assert response.status_code == 422, response.text
        assert response.json()["fields"][0]["field"] == "file"

    async def test_the_dev_catalog_imports(self, client, shop) -> None:
        """The normalizer's sample: no SKU or price; one product per canonical name."""
        data = DEV_CATALOG.read_bytes()
        report = await _import(client, shop, data)
        canonical = {row["canonical"] for row in csv.DictReader(io.StringIO(data.decode()))}
        assert report["rows"] == 71
        assert report["created"] == len(canonical)
        assert len(report["errors"]) == 71 - len(canonical)
        assert all(e["field"] == "sku" and "repeats line" in e["message"] for e in report["errors"])
        assert set(report["ignored_columns"]) == {"raw_name", "cluster", "brand", "size"}
        again = await _import(client, shop, data)
        assert again["created"] == 0
        assert again["unchanged"] == report["created"]

    async def test_ten_thousand_rows_in_one_request(self, client, shop) -> None:
        lines = ["sku;nombre;categoria;codigo_barras;precio;costo;iva;unidad"]
        lines += [
            f"P{i:05d};Producto número {i};Cat {i % 40};77{i:08d};{i},50;{i // 2},25;19;und"
            for i in range(10_000)
        ]
        data = "\n".join(lines).encode()
        started = time.perf_counter()
        report = await _import(client, shop, data)
        first = time.perf_counter() - started
        assert report["errors"] == []
        assert report["created"] == 10_000
        started = time.perf_counter()
        again = await _import(client, shop, data.replace(b";19;und", b";5;und"))
        second = time.perf_counter() - started
        assert again["updated"] == 10_000
        print(f"\n10,000-row import: create {first:.2f}s, update {second:.2f}s")


@pytest.mark.asyncio
class TestExport:
    async def test_export_round_trips_unchanged(self, client, shop) -> None:
        await _import(client, shop, MIXED)
        await client.post(
            "/api/products",
            json={
                "sku": "X,1",
                "name": 'Pan "tajado", grande',
                "price": "0.10",
                "barcodes": ["9901", "9902"],
                "image_url": "https://img.example/pan.png",
            },
            headers=shop.manager,
        )
        for excel in (False, True):
            response = await client.get(
                f"/api/products/export?excel={str(excel).lower()}", headers=shop.cashier
            )
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/csv")
            report = await _import(client, shop, response.content)
            assert report["errors"] == [], excel
            assert (report["created"], report["updated"]) == (0, 0)
            assert report["unchanged"] == 4


@pytest.mark.parametrize(
    ("text", "decimal_comma", "expected"),
    [
        ("1.234,50", True, "1234.50"),
        ("1234,5", True, "1234.5"),
        ("1.500", True, "1500"),
        ("12.50", True, "12.50"),
        ("1,234.50", False, "1234.50"),
        ("12,50", False, "12.50"),
        ("$ 2500", False, "2500"),
    ],
)
def test_parse_decimal_in_both_locales(text: str, decimal_comma: bool, expected: str) -> None:
    assert parse_decimal(text, decimal_comma) == Decimal(expected)
