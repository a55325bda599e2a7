"""Who this caja is: the single sede_info row that activation writes."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any


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
