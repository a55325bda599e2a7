"""An activated caja for tests: sede_info, users with passwords, products, stock.

Activation itself (from the cloud) is the identity feature's; these write the same rows
directly so the caja's operations can be tested on their own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from stocky.core.ids import new_id_str
from stocky.core.passwords import hash_password
from stocky.edge.store import Store, utc_now
from tests.edge.store.factories import create_product, create_user

PASSWORD = "correct horse battery"


@lru_cache(maxsize=1)
def password_hash() -> str:
    return hash_password(PASSWORD)


def create_sede_info(conn: sqlite3.Connection, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": 1,
        "tenant_id": new_id_str(),
        "tenant_name": "Tienda Demo",
        "sede_id": new_id_str(),
        "sede_name": "Centro",
        "device_id": new_id_str(),
        "device_name": "Caja 1",
        "device_credential": "test-credential",
        "cloud_url": "http://127.0.0.1:8000",
        "currency": "COP",
        "locale": "es-CO",
        "timezone": "America/Bogota",
        "activated_at": utc_now(),
    }
    row.update(overrides)
    columns = ", ".join(row)
    params = ", ".join(f":{key}" for key in row)
    conn.execute(f"INSERT INTO sede_info ({columns}) VALUES ({params})", row)
    return row


def set_stock(conn: sqlite3.Connection, product_id: str, quantity_milli: int) -> None:
    """Stock as activation leaves it: the cloud's quantity, before any local movement."""
    conn.execute(
        """
        INSERT INTO inventory (product_id, quantity_milli, cloud_quantity_milli, updated_at)
        VALUES (?, ?, ?, ?)
        """,
        (product_id, quantity_milli, quantity_milli, utc_now()),
    )


@dataclass
class Caja:
    store: Store
    sede: dict[str, Any]
    cashier: dict[str, Any]
    manager: dict[str, Any]
    products: list[dict[str, Any]] = field(default_factory=list)


def create_activated_store(
    tmp_path: Path, *, products: int = 3, stock_milli: int | None = 10_000
) -> Caja:
    """A store on a real file with a sede, a cashier and a manager (password PASSWORD), and
    `products` products: even ones by unit at 10.00 with 19% IVA, odd ones by weight."""
    store = Store.open(tmp_path / "data" / "caja.db")

    def fill(conn: sqlite3.Connection) -> Caja:
        sede = create_sede_info(conn)
        common = {"tenant_id": sede["tenant_id"], "password_hash": password_hash()}
        cashier = create_user(conn, email="cajero@example.com", role="cashier", **common)
        manager = create_user(conn, email="admin@example.com", role="manager", **common)
        caja = Caja(store, sede, cashier, manager)
        for i in range(products):
            by_weight = i % 2 == 1
            product = create_product(
                conn,
                name=f"Producto {i}",
                sku=f"SKU-{i:05d}",
                barcode=f"770{i:010d}",
                price_cents=2550 if by_weight else 1000,
                tax_rate="0" if by_weight else "0.19",
                unit="weight" if by_weight else "unit",
            )
            if stock_milli is not None:
                set_stock(conn, product["id"], stock_milli)
            caja.products.append(product)
        return caja

    return store.write(fill)


@pytest.fixture
def caja(tmp_path: Path) -> Iterator[Caja]:
    """An activated caja on a fresh file, closed (queue drained) after the test."""
    made = create_activated_store(tmp_path)
    yield made
    made.store.close()
