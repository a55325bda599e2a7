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
from typing import Any, Literal, TypeVar

from stocky.core.money import AmountError, money_to_cents, quantity_to_milli
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


def pending_ids(conn: sqlite3.Connection, entity: str, entity_ids: list[str]) -> set[str]:
    """Which of these entities have pending local ops (`has_pending` for many at once)."""
    if not entity_ids:
        return set()
    rows = conn.execute(
        "SELECT DISTINCT entity_id FROM sync_queue WHERE status = 'pending' AND kind = ?"
        " AND entity_id IN (SELECT value FROM json_each(?))",
        (EDIT_KINDS[entity], json.dumps(entity_ids)),
    )
    return {row[0] for row in rows}


_DEFER = """
    INSERT INTO pull_deferred (entity, entity_id, position, data, deferred_at)
    VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (entity, entity_id) DO UPDATE
    SET position = excluded.position, data = excluded.data, deferred_at = excluded.deferred_at
"""


def defer(ctx: Ctx, entity: str, entity_id: str, position: str, data: dict[str, Any]) -> None:
    defer_many(ctx, entity, [(entity_id, position, data)])


def defer_many(ctx: Ctx, entity: str, rows: list[tuple[str, str, dict[str, Any]]]) -> None:
    """Keep (entity_id, position, data) rows for later, in order: the last one wins."""
    ctx.conn.executemany(
        _DEFER,
        [(entity, entity_id, position, dumps(data), ctx.now) for entity_id, position, data in rows],
    )


T = TypeVar("T")


def _blamed(change: Change, fn: Callable[..., T], *args: Any) -> T:
    """fn(*args), with any conversion error naming the change it came from."""
    try:
        return fn(*args)
    except (KeyError, TypeError, ValueError, AmountError) as exc:
        raise ApplyError(
            f"cannot apply {change.entity} {change.entity_id} at {change.position}: {exc}"
        ) from exc


# Entities -----------------------------------------------------------------------------------


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


def _write_products(
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
    _write_products(conn, [(str(data["id"]), product_row(data, now))], now)


def _product_data(change: Change) -> dict[str, Any]:
    if change.op == "delete":
        return {**(change.data or {}), "id": change.entity_id, "active": False}
    return _data(change)


def _products_run(ctx: Ctx, changes: list[Change]) -> list[Outcome]:
    """Consecutive product changes of a page, with the outcome of each in order."""
    datas = [_blamed(change, _product_data, change) for change in changes]
    pending = pending_ids(ctx.conn, "products", [str(data["id"]) for data in datas])
    outcomes: list[Outcome] = []
    deferred: list[tuple[str, str, dict[str, Any]]] = []
    segment: list[tuple[str, dict[str, Any] | None]] = []
    taken: set[tuple[str, str]] = set()
    for change, data in zip(changes, datas, strict=True):
        product_id = str(data["id"])
        if product_id in pending:
            deferred.append((product_id, change.position, data))
            outcomes.append("deferred")
            continue
        row = _blamed(change, product_row, data, ctx.now)
        keys = {("id", product_id)}
        if row is not None:
            keys.add(("sku", str(row["sku"])))
            if row["barcode"] is not None:
                keys.add(("barcode", str(row["barcode"])))
        if keys & taken:  # order matters between these two rows: write what came first
            _write_products(ctx.conn, segment, ctx.now)
            segment, taken = [], set()
        segment.append((product_id, row))
        taken |= keys
        outcomes.append("applied")
    _write_products(ctx.conn, segment, ctx.now)
    defer_many(ctx, "products", deferred)
    return outcomes


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
        # Gone from this caja, hash and all: the cloud sends a delete when the user may no
        # longer log in at this sede (moved to another). The users checksum counts only the
        # users who may; sales keep the id (user_name falls back to it).
        ctx.conn.execute("DELETE FROM users WHERE id = ?", (user_id,))
        active = False
    else:
        data = _data(change)
        user_id = str(data["id"])
        active = bool(data.get("active", True))
        ctx.conn.execute(
            """
            INSERT INTO users (id, tenant_id, sede_id, email, name, password_hash, pin_hash,
                               role, active, version, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET tenant_id = excluded.tenant_id,
                sede_id = excluded.sede_id, email = excluded.email, name = excluded.name,
                password_hash = excluded.password_hash, pin_hash = excluded.pin_hash,
                role = excluded.role,
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
                data.get("pin_hash"),  # a manager's approval PIN (argon2), None if unset
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


def _customers(ctx: Ctx, change: Change) -> Outcome:
    """Cloud wins (read-only here): a delete or a deactivation takes it out of the search."""
    if change.op == "delete":
        ctx.conn.execute(
            "UPDATE customers SET active = 0, synced_at = ? WHERE id = ?",
            (ctx.now, change.entity_id),
        )
        return "applied"
    data = _data(change)
    ctx.conn.execute(
        """
        INSERT INTO customers (id, name, tax_id, email, phone, active, version, updated_at,
                               synced_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET name = excluded.name, tax_id = excluded.tax_id,
            email = excluded.email, phone = excluded.phone, active = excluded.active,
            version = excluded.version, updated_at = excluded.updated_at,
            synced_at = excluded.synced_at
        """,
        (
            str(data["id"]),
            str(data["name"]),
            data.get("tax_id"),
            data.get("email"),
            data.get("phone"),
            int(bool(data.get("active", True))),
            int(data.get("version") or 1),
            _ts(data.get("updated_at") or ctx.now),
            ctx.now,
        ),
    )
    return "applied"


def _blamed_customers(ctx: Ctx, change: Change) -> Outcome:
    return _blamed(change, _customers, ctx, change)


def thresholds(data: dict[str, Any]) -> tuple[int, int | None]:
    low = data.get("min_stock")
    high = data.get("max_stock")
    return (0 if low is None else _milli(low)), (None if high is None else _milli(high))


_UPSERT_INVENTORY = """
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
"""


def _inventory_run(ctx: Ctx, changes: list[Change]) -> list[Outcome]:
    """The caja shows `cloud quantity at S + its own movements not included at S`.

    A local movement is included once its `transactions` change is applied (cloud_position
    set): the cloud writes a movement and its stock row in one transaction and the feed
    orders the movement's change first, so when the stock change at S arrives every movement
    it includes is already marked, and the rest (cloud_position NULL) are added on top.
    Marking a movement never recomputes the quantity: until the stock change that includes
    it arrives, the old cloud quantity plus that movement is still the right figure.
    Consecutive stock changes touch no movement, so they go in one executemany, in order.
    """
    outcomes: list[Outcome] = ["ignored"] * len(changes)
    rows: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
    for i, change in enumerate(changes):
        if change.op == "delete":
            continue  # stock rows are never deleted in the cloud; nothing to trust here
        data = _blamed(change, _data, change)
        if str(data["sede_id"]) != ctx.sede_id:
            continue
        low, high = _blamed(change, thresholds, data)
        params = {
            "product_id": str(data["product_id"]),
            "cloud": _blamed(change, _milli, data["quantity"]),
            "position": change.position,
            "low": low,
            "high": high,
            "now": ctx.now,
        }
        rows.append((i, params, data))
    pending = pending_ids(ctx.conn, "inventory", [params["product_id"] for _, params, _ in rows])
    for i, params, _ in rows:
        params["keep"] = params["product_id"] in pending
        outcomes[i] = "deferred" if params["keep"] else "applied"
    ctx.conn.executemany(_UPSERT_INVENTORY, [params for _, params, _ in rows])
    defer_many(
        ctx,
        "inventory",
        [(p["product_id"], p["position"], data) for _, p, data in rows if p["keep"]],
    )
    return outcomes


def _movement_row(change: Change, data: dict[str, Any], server_ts: str | None) -> tuple[Any, ...]:
    unit_cost = data.get("unit_cost")
    return (
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
    )


def _transactions_run(ctx: Ctx, changes: list[Change]) -> list[Outcome]:
    """Mark the caja's own movements with their cloud position; insert other cajas'."""
    outcomes: list[Outcome] = ["ignored"] * len(changes)
    found: list[tuple[int, Change, dict[str, Any]]] = []
    for i, change in enumerate(changes):
        if change.op == "delete":
            continue  # append-only: the cloud never deletes a movement
        data = _blamed(change, _data, change)
        if str(data["sede_id"]) != ctx.sede_id:
            continue
        found.append((i, change, data))
    ids = [str(data["id"]) for _, _, data in found]
    here = {
        row[0]
        for row in ctx.conn.execute(
            "SELECT id FROM transactions WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(ids),),
        )
    }
    marks: list[tuple[str, str | None, str]] = []
    inserts: list[tuple[Any, ...]] = []
    for i, change, data in found:
        movement_id = str(data["id"])
        server_ts = (
            _blamed(change, _ts, data["server_timestamp"]) if data.get("server_timestamp") else None
        )
        if movement_id in here:
            marks.append((change.position, server_ts, movement_id))
        else:
            # Another caja's movement: already counted in the stock change that follows it.
            inserts.append(_blamed(change, _movement_row, change, data, server_ts))
            here.add(movement_id)  # the same movement again later in the run: a mark
        outcomes[i] = "applied"
    ctx.conn.executemany(
        """
        INSERT INTO transactions (id, type, product_id, quantity_milli, unit_price_cents,
            unit_cost_cents, discount_cents, product_version, sale_id, ref_id, document_id,
            user_id, client_ts, server_ts, cloud_position, note)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        inserts,
    )
    ctx.conn.executemany(
        "UPDATE transactions SET cloud_position = ?, server_ts = ? WHERE id = ?", marks
    )
    return outcomes


def _one(run: Callable[[Ctx, list[Change]], list[Outcome]]) -> Callable[[Ctx, Change], Outcome]:
    def handler(ctx: Ctx, change: Change) -> Outcome:
        return run(ctx, [change])[0]

    return handler


# Entities whose consecutive changes in a page apply together (same outcome as one by one).
RUN_HANDLERS: dict[str, Callable[[Ctx, list[Change]], list[Outcome]]] = {
    "products": _products_run,
    "inventory": _inventory_run,
    "transactions": _transactions_run,
}


HANDLERS: dict[str, Callable[[Ctx, Change], Outcome]] = {
    "products": _one(_products_run),
    "product_barcodes": _barcodes,
    "users": _users,
    "sedes": _sedes,
    "customers": _blamed_customers,
    "inventory": _one(_inventory_run),
    "transactions": _one(_transactions_run),
}
