"""CSV files the product writes never start a text cell with a formula, and read back as-is."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from fastapi import FastAPI

from stocky.cloud.kit.csv_text import escape_cell, unescape_cell
from stocky.demo.catalog import catalog_csv, demo_catalog
from tests.cloud.factories import Shop, create_shop

HOSTILE = {
    "=cmd|' /C calc'!A0": "'=cmd|' /C calc'!A0",
    "@SUM(A1:A9)": "'@SUM(A1:A9)",
    "+57 300": "'+57 300",
    "-5": "'-5",
    "'=already quoted": "''=already quoted",
    "'plain quote": "''plain quote",
    "plain": "plain",
    "5-5": "5-5",
}


@pytest.mark.parametrize(("value", "written"), HOSTILE.items())
def test_escape_and_unescape_are_inverse(value: str, written: str) -> None:
    assert escape_cell(value) == written
    assert unescape_cell(written) == value


def test_a_hand_written_leading_quote_is_kept() -> None:
    # Only the quote escape_cell would have added comes off.
    assert unescape_cell("'hola") == "'hola"
    assert unescape_cell("'=1+1") == "=1+1"


@pytest.mark.asyncio
async def test_export_escapes_text_and_round_trips(cloud_app: FastAPI) -> None:
    shop: Shop = await create_shop(cloud_app)
    transport = httpx.ASGITransport(app=cloud_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for i, name in enumerate(HOSTILE):
            r = await client.post(
                "/api/products",
                json={
                    "sku": f"-SKU{i}" if i % 2 else f"@SKU{i}",
                    "name": name,
                    "category": '=HYPERLINK("http://x")',
                    "price": "12.50",
                    "barcodes": [f"-{i}00", f"{i}01"],
                },
                headers=shop.manager,
            )
            assert r.status_code == 201, r.text
        for excel in (False, True):
            r = await client.get(
                f"/api/products/export?excel={str(excel).lower()}", headers=shop.cashier
            )
            assert r.status_code == 200
            rows = list(
                csv.reader(
                    io.StringIO(r.content.decode("utf-8-sig")), delimiter=";" if excel else ","
                )
            )
            assert len(rows) == len(HOSTILE) + 1
            for row in rows[1:]:
                for cell in row:
                    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
            # Numbers are written as numbers: no quote before the price.
            assert {row[rows[0].index("price")] for row in rows[1:]} == {
                "12,50" if excel else "12.50"
            }
            r = await client.post(
                "/api/products/import",
                content=r.content,
                headers=shop.manager | {"Content-Type": "text/csv"},
            )
            assert r.status_code == 200, r.text
            report = r.json()
            assert report["errors"] == [], excel
            assert (report["created"], report["updated"]) == (0, 0)
            assert report["unchanged"] == len(HOSTILE)
        r = await client.get("/api/products?limit=200", headers=shop.cashier)
        names = {p["name"] for p in r.json()["items"]}
        assert names == set(HOSTILE)


def test_demo_catalog_file_is_escaped_too() -> None:
    text = catalog_csv(demo_catalog()[:50])
    for row in csv.reader(io.StringIO(text)):
        for cell in row[:4]:
            assert not cell.startswith(("=", "+", "-", "@"))
