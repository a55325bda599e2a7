"""Writing what POST /api/activate returned into the caja's SQLite, in one transaction."""

from __future__ import annotations

import json
import re
import sqlite3
from decimal import Decimal
from typing import Any

from stocky.core.money import money_to_cents, quantity_to_milli
from stocky.core.receipts import PREFIX_PATTERN
from stocky.edge.store.timestamps import from_iso, to_iso, utc_now


def _ts(value: str) -> str:
    return to_iso(from_iso(value.replace("Z", "+00:00")))


def _prefix(value: object) -> str | None:
    """The cloud's receipt prefix if it is one (an older cloud sends none)."""
    if isinstance(value, str) and re.fullmatch(PREFIX_PATTERN, value):
        return value
    return None


def receipt_prefix(conn: sqlite3.Connection) -> str | None:
    """The prefix this caja prints before its receipt numbers (C01), if it has one yet."""
    row = conn.execute("SELECT receipt_prefix FROM sede_info WHERE id = 1").fetchone()
    return None if row is None else row[0]


def adopt_receipt_prefix(conn: sqlite3.Connection, announced: str | None) -> bool:
    """Store the prefix a ping answer announced; True if it changed. The next sale prints
    with it; sales already made keep the prefix they were printed with."""
    prefix = _prefix(announced)
    if prefix is None:
        return False
    cursor = conn.execute(
        "UPDATE sede_info SET receipt_prefix = ? WHERE id = 1 AND receipt_prefix IS NOT ?",
        (prefix, prefix),
    )
    return cursor.rowcount > 0


def pending_ops(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT count(*) FROM sync_queue WHERE status = 'pending'").fetchone()
    return int(row[0])


# What the receipt prints about the business (the tenant's settings, in TenantInfo).
_BUSINESS = ("legal_name", "tax_id", "address")


def save_activation(conn: sqlite3.Connection, answer: dict[str, Any]) -> dict[str, int]:
    """Replace this caja's identity, users and catalog with the activation answer.

    Products and inventory are upserted, never deleted: local movements may point at them.
    The pull cursor is forgotten, so the next pull starts this tenant's feed from the start.
    """
    tenant, sede, device = answer["tenant"], answer["sede"], answer["device"]
    conn.execute(
        "INSERT OR REPLACE INTO sede_info (id, tenant_id, tenant_name, sede_id, sede_name,"
        " device_id, device_name, device_credential, cloud_url, jwks, config, currency,"
        " locale, timezone, activated_at, receipt_prefix, business)"
        " VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            tenant["id"],
            tenant["name"],
            sede["id"],
            sede["name"],
            device["id"],
            device["name"],
            answer["device_credential"],
            answer["cloud_url"],
            json.dumps(answer["jwks"]),
            json.dumps(sede["config"]),
            tenant["currency"],
            tenant["locale"],
            sede.get("timezone") or tenant["timezone"],
            _ts(device["activated_at"]),
            _prefix(device.get("receipt_prefix")),
            json.dumps(
                {k: str(v) for k in _BUSINESS if isinstance(v := tenant.get(k), str) and v.strip()}
            ),
        ),
    )
    conn.execute("DELETE FROM sync_state")
    conn.execute("DELETE FROM auth_session")
    conn.execute("DELETE FROM users")
    conn.executemany(
        "INSERT INTO users (id, tenant_id, sede_id, email, name, password_hash, role, active,"
        " version, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                u["id"],
                tenant["id"],
                u["sede_id"],
                u["email"],
                u["name"],
                u["password_hash"],
                u["role"],
                int(u["active"]),
                u["version"],
                _ts(u["updated_at"]),
            )
            for u in answer["users"]
        ],
    )
    catalog = answer["catalog"]
    _save_products(conn, catalog["products"])
    conn.execute("DELETE FROM product_barcodes")
    conn.executemany(
        "INSERT INTO product_barcodes (barcode, product_id) VALUES (?, ?)",
        [(b["barcode"], b["product_id"]) for b in catalog["barcodes"]],
    )
    _save_inventory(conn, catalog["inventory"])
    return {
        "users": len(answer["users"]),
        "products": len(catalog["products"]),
        "barcodes": len(catalog["barcodes"]),
        "inventory": len(catalog["inventory"]),
    }


def _save_products(conn: sqlite3.Connection, products: list[dict[str, Any]]) -> None:
    now = utc_now()
    conn.executemany(
        "INSERT INTO products (id, sku, name, category, barcode, price_cents, cost_cents,"
        " tax_rate, unit, active, image_url, version, last_modified_at, synced_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET sku = excluded.sku, name = excluded.name,"
        " category = excluded.category, barcode = excluded.barcode,"
        " price_cents = excluded.price_cents, cost_cents = excluded.cost_cents,"
        " tax_rate = excluded.tax_rate, unit = excluded.unit, active = excluded.active,"
        " image_url = excluded.image_url, version = excluded.version,"
        " last_modified_at = excluded.last_modified_at, synced_at = excluded.synced_at",
        [
            (
                p["id"],
                p["sku"],
                p["name"],
                p["category"],
                p["barcode"],
                money_to_cents(Decimal(p["price"])),
                money_to_cents(Decimal(p["cost"])),
                str(Decimal(p["tax_rate"])),
                p["unit"],
                int(p["active"]),
                p["image_url"],
                p["version"],
                _ts(p["last_modified_at"]),
                now,
            )
            for p in products
        ],
    )


def _save_inventory(conn: sqlite3.Connection, rows: list[dict[str, Any]]) -> None:
    # What the caja shows = the cloud's quantity + this caja's movements it has not confirmed.
    conn.executemany(
        "INSERT INTO inventory (product_id, quantity_milli, cloud_quantity_milli, min_milli,"
        " max_milli, updated_at) VALUES (?1, ?2 + coalesce((SELECT sum(quantity_milli)"
        " FROM transactions WHERE product_id = ?1 AND cloud_position IS NULL), 0), ?2, ?3, ?4, ?5)"
        " ON CONFLICT (product_id) DO UPDATE SET quantity_milli = excluded.quantity_milli,"
        " cloud_quantity_milli = excluded.cloud_quantity_milli, min_milli = excluded.min_milli,"
        " max_milli = excluded.max_milli, updated_at = excluded.updated_at",
        [
            (
                i["product_id"],
                quantity_to_milli(Decimal(i["quantity"])),
                quantity_to_milli(Decimal(i["min_stock"])),
                None if i["max_stock"] is None else quantity_to_milli(Decimal(i["max_stock"])),
                _ts(i["updated_at"]),
            )
            for i in rows
        ],
    )
