"""Changes shaped like the cloud's feed: `to_jsonb(row)` data, Decimal or str numbers."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from stocky.core.ids import new_id_str
from stocky.core.sync import Change, Cursor, PullResponse

EPOCH = "epoch-1"
CLOUD_TS = "2026-01-31T14:05:09.12345+00:00"
_positions = itertools.count(1)


def position(xid: int | None = None) -> str:
    n = next(_positions) if xid is None else xid
    return Cursor(epoch=EPOCH, xid=1000 + n, id=n).encode()


def change(
    entity: str, entity_id: str, data: dict[str, Any] | None, *, op: str = "upsert"
) -> Change:
    return Change.model_validate(
        {
            "position": position(),
            "entity": entity,
            "entity_id": entity_id,
            "op": op,
            "version": None if data is None else data.get("version"),
            "data": data,
        }
    )


def page(changes: list[Change], *, reset: bool = False, has_more: bool = False) -> PullResponse:
    cursor = changes[-1].position if changes else Cursor.start(EPOCH).encode()
    return PullResponse(
        changes=changes,
        cursor=cursor,
        has_more=has_more,
        epoch=EPOCH,
        reset=reset,
        server_time=datetime.now(UTC),
    )


def product_row(tenant_id: str, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "tenant_id": tenant_id,
        "id": new_id_str(),
        "sku": f"CLOUD-{new_id_str()[-8:]}",
        "name": "Arroz Diana 500 g",
        "category": "Granos",
        "barcode": None,
        "price": Decimal("3500.00"),
        "cost": Decimal("2800.00"),
        "tax_rate": Decimal("0.1900"),
        "unit": "unit",
        "active": True,
        "image_url": None,
        "metadata": {},
        "version": 1,
        "last_modified_at": CLOUD_TS,
        "last_modified_by": None,
        "created_at": CLOUD_TS,
        "updated_at": CLOUD_TS,
    }
    row.update(overrides)
    return row


def inventory_row(
    tenant_id: str, sede_id: str, product_id: str, quantity: Decimal | str, **overrides: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "tenant_id": tenant_id,
        "sede_id": sede_id,
        "product_id": product_id,
        "quantity": quantity,
        "min_stock": Decimal("0.000"),
        "max_stock": None,
        "version": 1,
        "last_movement_at": CLOUD_TS,
        "updated_at": CLOUD_TS,
    }
    row.update(overrides)
    return row


def inventory_change(row: dict[str, Any]) -> Change:
    return change("inventory", f"{row['sede_id']}:{row['product_id']}", row)


def transaction_row(
    tenant_id: str, sede_id: str, product_id: str, quantity: Decimal | str, **overrides: Any
) -> dict[str, Any]:
    qty = Decimal(quantity)
    row: dict[str, Any] = {
        "tenant_id": tenant_id,
        "id": new_id_str(),
        "sede_id": sede_id,
        "product_id": product_id,
        "type": "sale" if qty < 0 else "entry",
        "quantity": quantity,
        "unit_price": Decimal("10.00") if qty < 0 else None,
        "unit_cost": None if qty < 0 else Decimal("6.50"),
        "discount": Decimal("0.00"),
        "product_version": 1,
        "document_id": new_id_str(),
        "sale_id": None,
        "ref_id": None,
        "transfer_id": None,
        "device_id": new_id_str(),
        "user_id": new_id_str(),
        "op_id": new_id_str(),
        "note": None,
        "client_timestamp": CLOUD_TS,
        "server_timestamp": "2026-01-31T14:05:10.5+00:00",
        "synced_at": "2026-01-31T14:05:10.5+00:00",
    }
    row.update(overrides)
    return row


def user_row(tenant_id: str, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "tenant_id": tenant_id,
        "id": new_id_str(),
        "sede_id": None,
        "email": "nueva@example.com",
        "name": "Nueva Cajera",
        "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        "role": "cashier",
        "active": True,
        "version": 1,
        "last_login_at": None,
        "created_at": CLOUD_TS,
        "updated_at": CLOUD_TS,
    }
    row.update(overrides)
    return row
