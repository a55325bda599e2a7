"""The cloud's products and extra barcodes, written into the caja's catalog tables.

`write_products` is how a pulled product row reaches `products`, whether it applies at once
(stocky.edge.sync.runs) or waited in pull_deferred (stocky.edge.sync.checkpoint).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from stocky.core.sync import Change
from stocky.edge.sync.conversions import Ctx, Outcome, cents, change_data, rate, ts


def product_row(data: dict[str, Any], now: str) -> dict[str, Any] | None:
    """The caja's products row for a cloud row; None for a delete that carried no row."""
    if "sku" not in data:  # a delete that carried no row: only the deactivation is known
        return None
    return {
        "id": str(data["id"]),
        "sku": data["sku"],
        "name": data["name"],
        "category": data.get("category"),
        "barcode": data.get("barcode"),
        "price_cents": cents(data["price"]),
        "cost_cents": None if data.get("cost") is None else cents(data["cost"]),
        "tax_rate": rate(data.get("tax_rate", 0)),
        "unit": data.get("unit", "unit"),
        "active": int(bool(data.get("active", True))),
        "image_url": data.get("image_url"),
        "image_key": data.get("image_key"),
        "version": int(data["version"]),
        "last_modified_at": ts(data.get("last_modified_at") or now),
        "synced_at": now,
    }


_PRODUCT_COLUMNS = (
    "id",
    "sku",
    "name",
    "category",
    "barcode",
    "price_cents",
    "cost_cents",
    "tax_rate",
    "unit",
    "active",
    "image_url",
    "image_key",
    "version",
    "last_modified_at",
    "synced_at",
)
_UPSERT_PRODUCT = (
    f"INSERT INTO products ({', '.join(_PRODUCT_COLUMNS)}) "
    f"VALUES ({', '.join(f':{key}' for key in _PRODUCT_COLUMNS)}) "
    "ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{key} = excluded.{key}" for key in _PRODUCT_COLUMNS if key != "id")
)


def write_products(
    conn: sqlite3.Connection, rows: list[tuple[str, dict[str, Any] | None]], now: str
) -> None:
    """Write (id, row) pairs with no id, SKU or barcode twice: then it is the same as
    writing them one by one, in order, and each statement runs once for all of them."""
    full = [row for _, row in rows if row is not None]
    # The cloud's SKU and barcode are unique at every commit, so a local holder of the same
    # value is a stale copy whose own change is still ahead in the feed (or deferred).
    conn.executemany(
        "UPDATE products SET barcode = NULL WHERE barcode = :barcode AND id <> :id",
        [row for row in full if row["barcode"] is not None],
    )
    conn.executemany("UPDATE products SET sku = '~' || id WHERE sku = :sku AND id <> :id", full)
    conn.executemany(_UPSERT_PRODUCT, full)
    conn.executemany(
        "UPDATE products SET active = 0, synced_at = ? WHERE id = ?",
        [(now, product_id) for product_id, row in rows if row is None],
    )


def write_product(conn: sqlite3.Connection, data: dict[str, Any], now: str) -> None:
    write_products(conn, [(str(data["id"]), product_row(data, now))], now)


def product_data(change: Change) -> dict[str, Any]:
    """The row a product change carries; a delete is a deactivation of that id."""
    if change.op == "delete":
        return {**(change.data or {}), "id": change.entity_id, "active": False}
    return change_data(change)


def apply_barcode(ctx: Ctx, change: Change) -> Outcome:
    if change.op == "delete":
        ctx.conn.execute("DELETE FROM product_barcodes WHERE barcode = ?", (change.entity_id,))
        return "applied"
    data = change_data(change)
    ctx.conn.execute(
        """
        INSERT INTO product_barcodes (barcode, product_id) VALUES (?, ?)
        ON CONFLICT (barcode) DO UPDATE SET product_id = excluded.product_id
        """,
        (str(data["barcode"]), str(data["product_id"])),
    )
    return "applied"
