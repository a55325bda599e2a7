"""Factories for tests that need a caja store: plain functions, overrides as keywords."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from stocky.core.ids import new_id_str
from stocky.edge.store import Store, utc_now


def open_store(tmp_path: Path, name: str = "caja.db") -> Store:
    """A migrated store on a real SQLite file under tmp_path; the caller closes it."""
    return Store.open(tmp_path / "data" / name)


def create_product(conn: sqlite3.Connection, **overrides: Any) -> dict[str, Any]:
    """Insert a product (inside a write) and return its row as a dict."""
    product_id = overrides.pop("id", None) or new_id_str()
    row: dict[str, Any] = {
        "id": product_id,
        "sku": f"SKU-{product_id[-12:]}",
        "name": "Test product",
        "category": None,
        "barcode": None,
        "price_cents": 1000,
        "cost_cents": 600,
        "tax_rate": "0.19",
        "unit": "unit",
        "active": 1,
        "image_url": None,
        "version": 1,
        "last_modified_at": utc_now(),
        "synced_at": None,
    }
    row.update(overrides)
    columns = ", ".join(row)
    params = ", ".join(f":{key}" for key in row)
    conn.execute(f"INSERT INTO products ({columns}) VALUES ({params})", row)
    return row


def create_user(conn: sqlite3.Connection, **overrides: Any) -> dict[str, Any]:
    """Insert a user (as if pulled from the cloud) and return its row as a dict."""
    row: dict[str, Any] = {
        "id": new_id_str(),
        "tenant_id": new_id_str(),
        "sede_id": None,
        "email": "cajero@example.com",
        "name": "Cajero",
        "password_hash": None,
        "role": "cashier",
        "active": 1,
        "version": 1,
        "updated_at": utc_now(),
    }
    row.update(overrides)
    columns = ", ".join(row)
    params = ", ".join(f":{key}" for key in row)
    conn.execute(f"INSERT INTO users ({columns}) VALUES ({params})", row)
    return row
