"""Writing what POST /api/activate returned into the caja's SQLite, in one transaction."""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

from stocky.core.receipts import PREFIX_PATTERN, business_details
from stocky.core.sync import Change
from stocky.edge.store.timestamps import from_iso, to_iso, utc_now
from stocky.edge.sync.apply import apply_changes
from stocky.edge.sync.state import clear_state


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


def save_activation(conn: sqlite3.Connection, answer: dict[str, Any]) -> dict[str, int]:
    """Replace this caja's identity, users and catalog with the activation answer.

    Users, products, barcodes and stock are written by the same handlers as a pull page
    (stocky.edge.sync.entities), so they land exactly as pulled rows would, and the caja can
    log in and sell offline right after activating. Products and inventory are upserted,
    never deleted: local movements may point at them. The pull cursor is forgotten, so the
    next pull starts this tenant's feed from the start.
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
            json.dumps(business_details(tenant)),
        ),
    )
    clear_state(conn)
    conn.execute("DELETE FROM auth_session")
    conn.execute("DELETE FROM users")
    conn.execute("DELETE FROM product_barcodes")
    # The LAN's peers are the new sede's, from the devices feed; this caja alone knows
    # itself from the answer (initial_changes), so it may be its sede's master at once.
    conn.execute("DELETE FROM sede_devices")
    catalog = answer["catalog"]
    changes = initial_changes(answer)
    apply_changes(conn, changes, sede_id=sede["id"], now=utc_now())
    return {
        "users": len(answer["users"]),
        "products": len(catalog["products"]),
        "barcodes": len(catalog["barcodes"]),
        "inventory": len(catalog["inventory"]),
    }


# The activation answer carries no feed position: its rows are the cloud's as of activation,
# and the first pull (from the start of the feed, the cursor is forgotten) supersedes them.
ACTIVATION_POSITION = "activation"


def _upsert(entity: str, entity_id: object, data: dict[str, Any]) -> Change:
    return Change(
        position=ACTIVATION_POSITION,
        entity=entity,
        entity_id=str(entity_id),
        op="upsert",
        data=data,
    )


def initial_changes(answer: dict[str, Any]) -> list[Change]:
    """The activation answer as the changes of one pull page, in the feed's order (a product
    before its barcodes and its stock), so the pull's handlers write it."""
    tenant_id, sede_id = answer["tenant"]["id"], answer["sede"]["id"]
    catalog = answer["catalog"]
    device = answer["device"]
    return [
        _upsert("devices", device["id"], {**device, "sede_id": device.get("sede_id", sede_id)}),
        *(_upsert("users", u["id"], {**u, "tenant_id": tenant_id}) for u in answer["users"]),
        *(_upsert("products", p["id"], p) for p in catalog["products"]),
        *(_upsert("product_barcodes", b["barcode"], b) for b in catalog["barcodes"]),
        *(
            _upsert("inventory", i["product_id"], {**i, "sede_id": sede_id})
            for i in catalog["inventory"]
        ),
    ]
