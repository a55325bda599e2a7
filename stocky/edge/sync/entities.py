"""The cloud's rows, one entity at a time, written into the caja's tables.

Each handler applies one Change of a pulled page (see stocky.edge.sync.apply, which owns the
transaction and the cursor). Rows arrive as the cloud's `to_jsonb(row)`: money and quantities
as Decimal (JSON parsed with parse_float=Decimal) or str (a row kept in pull_deferred), never
float; timestamps as ISO-8601 with an offset.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from stocky.core.money import money_to_cents, quantity_to_milli
from stocky.core.sync import Change
from stocky.edge.store.timestamps import from_iso, to_iso

Outcome = Literal["applied", "deferred", "ignored"]

# The local op kind that edits each entity the write checkpoint protects.
EDIT_KINDS = {"products": "product.upsert", "inventory": "inventory.thresholds"}
# Pulled movements of other cajas may lack what the caja's schema requires.
_UNKNOWN_USER = "cloud"


class ApplyError(ValueError):
    """A change the caja cannot apply (malformed data): the whole page rolls back."""


@dataclass(frozen=True, slots=True)
class Ctx:
    conn: sqlite3.Connection
    sede_id: str
    now: str


# Value conversions -----------------------------------------------------------------------


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise ApplyError(f"{value!r} is not an exact number")
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise ApplyError(f"{value!r} is not a number") from exc


def _cents(value: Any) -> int:
    return money_to_cents(_decimal(value))


def _milli(value: Any) -> int:
    return quantity_to_milli(_decimal(value))


def _ts(value: Any) -> str:
    return to_iso(from_iso(str(value)))


def _rate(value: Any) -> str:
    # The caja's CHECK wants plain digits: no exponent, no trailing-zero noise from NUMERIC.
    return format(_decimal(value).normalize(), "f")


def _json_default(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(data: Any) -> str:
    return json.dumps(data, default=_json_default, separators=(",", ":"), ensure_ascii=False)


def _data(change: Change) -> dict[str, Any]:
    if change.data is None:
        raise ApplyError("upsert without data")
    return change.data


# The write checkpoint ----------------------------------------------------------------------


def has_pending(conn: sqlite3.Connection, entity: str, entity_id: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sync_queue WHERE status = 'pending' AND entity_id = ? AND kind = ?",
        (entity_id, EDIT_KINDS[entity]),
    ).fetchone()
    return row is not None


def defer(ctx: Ctx, entity: str, entity_id: str, position: str, data: dict[str, Any]) -> None:
    ctx.conn.execute(
        """
        INSERT INTO pull_deferred (entity, entity_id, position, data, deferred_at)
        VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (entity, entity_id) DO UPDATE
        SET position = excluded.position, data = excluded.data, deferred_at = excluded.deferred_at
        """,
        (entity, entity_id, position, dumps(data), ctx.now),
    )


# Entities -----------------------------------------------------------------------------------


def write_product(conn: sqlite3.Connection, data: dict[str, Any], now: str) -> None:
    product_id = str(data["id"])
    if "sku" not in data:  # a delete that carried no row: only the deactivation is known
        conn.execute(
            "UPDATE products SET active = 0, synced_at = ? WHERE id = ?", (now, product_id)
        )
        return
    row = {
        "id": product_id,
        "sku": data["sku"],
        "name": data["name"],
        "category": data.get("category"),
        "barcode": data.get("barcode"),
        "price_cents": _cents(data["price"]),
        "cost_cents": None if data.get("cost") is None else _cents(data["cost"]),
        "tax_rate": _rate(data.get("tax_rate", 0)),
        "unit": data.get("unit", "unit"),
        "active": int(bool(data.get("active", True))),
        "image_url": data.get("image_url"),
        "version": int(data["version"]),
        "last_modified_at": _ts(data.get("last_modified_at") or now),
        "synced_at": now,
    }
    # The cloud's SKU and barcode are unique at every commit, so a local holder of the same
    # value is a stale copy whose own change is still ahead in the feed (or deferred).
    conn.execute("UPDATE products SET barcode = NULL WHERE barcode = :barcode AND id <> :id", row)
    conn.execute("UPDATE products SET sku = '~' || id WHERE sku = :sku AND id <> :id", row)
    columns = ", ".join(row)
    values = ", ".join(f":{key}" for key in row)
    updates = ", ".join(f"{key} = excluded.{key}" for key in row if key != "id")
    conn.execute(
        f"INSERT INTO products ({columns}) VALUES ({values}) "
        f"ON CONFLICT (id) DO UPDATE SET {updates}",
        row,
    )


def _products(ctx: Ctx, change: Change) -> Outcome:
    if change.op == "delete":
        data = {**(change.data or {}), "id": change.entity_id, "active": False}
    else:
        data = _data(change)
    product_id = str(data["id"])
    if has_pending(ctx.conn, "products", product_id):
        defer(ctx, "products", product_id, change.position, data)
        return "deferred"
    write_product(ctx.conn, data, ctx.now)
    return "applied"


def _barcodes(ctx: Ctx, change: Change) -> Outcome:
    if change.op == "delete":
        ctx.conn.execute("DELETE FROM product_barcodes WHERE barcode = ?", (change.entity_id,))
        return "applied"
    data = _data(change)
    ctx.conn.execute(
        """
        INSERT INTO product_barcodes (barcode, product_id) VALUES (?, ?)
        ON CONFLICT (barcode) DO UPDATE SET product_id = excluded.product_id
        """,
        (str(data["barcode"]), str(data["product_id"])),
    )
    return "applied"


def _users(ctx: Ctx, change: Change) -> Outcome:
    user_id = change.entity_id
    if change.op == "delete":
        # Kept, inactive: local sales and audit rows still name this cashier.
        ctx.conn.execute("UPDATE users SET active = 0 WHERE id = ?", (user_id,))
        active = False
    else:
        data = _data(change)
        user_id = str(data["id"])
        active = bool(data.get("active", True))
        ctx.conn.execute(
            """
            INSERT INTO users (id, tenant_id, sede_id, email, name, password_hash, role, active,
                               version, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET tenant_id = excluded.tenant_id,
                sede_id = excluded.sede_id, email = excluded.email, name = excluded.name,
                password_hash = excluded.password_hash, role = excluded.role,
                active = excluded.active, version = excluded.version,
                updated_at = excluded.updated_at
            """,
            (
                user_id,
                str(data["tenant_id"]),
                data.get("sede_id"),
                str(data["email"]).lower(),
                data["name"],
                data.get("password_hash"),
                data["role"],
                int(active),
                int(data.get("version") or 1),
                _ts(data.get("updated_at") or ctx.now),
            ),
        )
    if not active:
        # Cloud wins at once: a deactivated cashier must not keep selling on an open session.
        ctx.conn.execute("DELETE FROM auth_session WHERE user_id = ?", (user_id,))
    return "applied"


def _sedes(ctx: Ctx, change: Change) -> Outcome:
    row = ctx.conn.execute("SELECT value FROM app_config WHERE key = 'sedes'").fetchone()
    sedes: list[dict[str, Any]] = [] if row is None else json.loads(row[0])
    sedes = [s for s in sedes if s.get("id") != change.entity_id]
    if change.op == "upsert":
        data = _data(change)
        sedes.append(
            {
                "id": str(data["id"]),
                "name": data["name"],
                "address": data.get("address"),
                "timezone": data.get("timezone"),
                "active": bool(data.get("active", True)),
            }
        )
        if str(data["id"]) == ctx.sede_id:
            ctx.conn.execute(
                "UPDATE sede_info SET sede_name = ?, config = ?,"
                " timezone = coalesce(?, timezone) WHERE id = 1",
                (data["name"], dumps(data.get("config") or {}), data.get("timezone")),
            )
    sedes.sort(key=lambda s: (str(s["name"]), str(s["id"])))
    ctx.conn.execute(
        "INSERT INTO app_config (key, value) VALUES ('sedes', ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (dumps(sedes),),
    )
    return "applied"


def thresholds(data: dict[str, Any]) -> tuple[int, int | None]:
    low = data.get("min_stock")
    high = data.get("max_stock")
    return (0 if low is None else _milli(low)), (None if high is None else _milli(high))


def _inventory(ctx: Ctx, change: Change) -> Outcome:
    """The caja shows `cloud quantity at S + its own movements not included at S`.

    A local movement is included once its `transactions` change is applied (cloud_position
    set): the cloud writes a movement and its stock row in one transaction and the feed
    orders the movement's change first, so when the stock change at S arrives every movement
    it includes is already marked, and the rest (cloud_position NULL) are added on top.
    Marking a movement never recomputes the quantity: until the stock change that includes
    it arrives, the old cloud quantity plus that movement is still the right figure.
    """
    if change.op == "delete":
        return "ignored"  # stock rows are never deleted in the cloud; nothing to trust here
    data = _data(change)
    if str(data["sede_id"]) != ctx.sede_id:
        return "ignored"
    product_id = str(data["product_id"])
    cloud_milli = _milli(data["quantity"])
    low, high = thresholds(data)
    keep_local = has_pending(ctx.conn, "inventory", product_id)
    ctx.conn.execute(
        """
        INSERT INTO inventory (product_id, quantity_milli, cloud_quantity_milli, cloud_position,
                               min_milli, max_milli, updated_at)
        VALUES (:product_id,
                :cloud + (SELECT coalesce(sum(quantity_milli), 0) FROM transactions
                          WHERE product_id = :product_id AND cloud_position IS NULL),
                :cloud, :position, :low, :high, :now)
        ON CONFLICT (product_id) DO UPDATE SET
            quantity_milli = excluded.quantity_milli,
            cloud_quantity_milli = excluded.cloud_quantity_milli,
            cloud_position = excluded.cloud_position,
            min_milli = CASE WHEN :keep THEN min_milli ELSE excluded.min_milli END,
            max_milli = CASE WHEN :keep THEN max_milli ELSE excluded.max_milli END,
            updated_at = excluded.updated_at
        """,
        {
            "product_id": product_id,
            "cloud": cloud_milli,
            "position": change.position,
            "low": low,
            "high": high,
            "now": ctx.now,
            "keep": keep_local,
        },
    )
    if keep_local:
        defer(ctx, "inventory", product_id, change.position, data)
        return "deferred"
    return "applied"


def _transactions(ctx: Ctx, change: Change) -> Outcome:
    if change.op == "delete":
        return "ignored"  # append-only: the cloud never deletes a movement
    data = _data(change)
    if str(data["sede_id"]) != ctx.sede_id:
        return "ignored"
    server_ts = _ts(data["server_timestamp"]) if data.get("server_timestamp") else None
    updated = ctx.conn.execute(
        "UPDATE transactions SET cloud_position = ?, server_ts = ? WHERE id = ?",
        (change.position, server_ts, str(data["id"])),
    )
    if updated.rowcount:
        return "applied"
    # Another caja's movement: already counted in the stock change that follows it.
    unit_cost = data.get("unit_cost")
    ctx.conn.execute(
        """
        INSERT INTO transactions (id, type, product_id, quantity_milli, unit_price_cents,
            unit_cost_cents, discount_cents, product_version, sale_id, ref_id, document_id,
            user_id, client_ts, server_ts, cloud_position, note)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        (
            str(data["id"]),
            data["type"],
            str(data["product_id"]),
            _milli(data["quantity"]),
            _cents(data.get("unit_price") or 0),
            None if unit_cost is None else _cents(unit_cost),
            _cents(data.get("discount") or 0),
            data.get("product_version"),
            data.get("sale_id"),
            data.get("ref_id"),
            str(data["document_id"]),
            data.get("user_id") or _UNKNOWN_USER,
            _ts(data["client_timestamp"]),
            server_ts,
            change.position,
            data.get("note"),
        ),
    )
    return "applied"


HANDLERS: dict[str, Callable[[Ctx, Change], Outcome]] = {
    "products": _products,
    "product_barcodes": _barcodes,
    "users": _users,
    "sedes": _sedes,
    "inventory": _inventory,
    "transactions": _transactions,
}
