"""Who this caja is: the single sede_info row that activation writes."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from stocky.core.receipts import business_details


@dataclass(frozen=True, slots=True)
class SedeInfo:
    tenant_id: str
    tenant_name: str
    sede_id: str
    sede_name: str
    device_id: str
    device_name: str
    cloud_url: str
    currency: str
    locale: str
    timezone: str
    activated_at: str
    config: dict[str, Any]
    # C01 (stocky.core.receipts); None until the cloud has told this caja.
    receipt_prefix: str | None = None
    # For the receipt: legal_name, tax_id, address (any may be missing), from activation.
    business: dict[str, str] = field(default_factory=dict)


def is_activated(conn: sqlite3.Connection) -> bool:
    """True once activation has bound this file to a sede (sede_info holds its row)."""
    return conn.execute("SELECT 1 FROM sede_info WHERE id = 1").fetchone() is not None


def load_sede_info(conn: sqlite3.Connection) -> SedeInfo | None:
    """The caja's identity, or None before activation. The device credential stays out."""
    row = conn.execute("SELECT * FROM sede_info WHERE id = 1").fetchone()
    if row is None:
        return None
    return SedeInfo(
        tenant_id=row["tenant_id"],
        tenant_name=row["tenant_name"],
        sede_id=row["sede_id"],
        sede_name=row["sede_name"],
        device_id=row["device_id"],
        device_name=row["device_name"],
        cloud_url=row["cloud_url"],
        currency=row["currency"],
        locale=row["locale"],
        timezone=row["timezone"],
        activated_at=row["activated_at"],
        config=json.loads(row["config"]),
        receipt_prefix=row["receipt_prefix"],
        business=json.loads(row["business"] or "{}"),
    )


def cloud_address(conn: sqlite3.Connection) -> tuple[str, str] | None:
    """(cloud URL, device credential) of an activated caja, else None."""
    row = conn.execute("SELECT cloud_url, device_credential FROM sede_info WHERE id = 1").fetchone()
    return None if row is None else (str(row[0]), str(row[1]))


def set_cloud_url(conn: sqlite3.Connection, url: str) -> None:
    """Point the caja at its cloud's new address (stocky.edge.sync.cloud_address checks it)."""
    conn.execute("UPDATE sede_info SET cloud_url = ? WHERE id = 1", (url,))


def stored_business(conn: sqlite3.Connection) -> dict[str, str] | None:
    """What receipts print about the business, as stored; None before activation."""
    row = conn.execute("SELECT business FROM sede_info WHERE id = 1").fetchone()
    return None if row is None else dict(json.loads(row[0] or "{}"))


def set_business(conn: sqlite3.Connection, business: dict[str, str]) -> bool:
    """Store what receipts print about the business; True if it changed."""
    kept = business_details(business)
    stored = stored_business(conn)
    if stored is None or stored == kept:
        return False
    conn.execute("UPDATE sede_info SET business = ? WHERE id = 1", (json.dumps(kept),))
    return True
