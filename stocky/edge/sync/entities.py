"""The cloud's rows, one entity at a time, written into the caja's tables.

Each handler applies one Change of a pulled page (see stocky.edge.sync.apply, which owns the
transaction and the cursor; activation applies its initial data through them too). This
module holds the people and places (users, sedes, customers) and the table of handlers;
products live in stocky.edge.sync.products, the runs of products, stock and movements in
stocky.edge.sync.runs, the values' conversions in stocky.edge.sync.conversions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from stocky.core.sync import Change
from stocky.edge.sync.conversions import ApplyError, Ctx, Outcome, blamed, dumps
from stocky.edge.sync.conversions import change_data as _data
from stocky.edge.sync.conversions import ts as _ts
from stocky.edge.sync.devices import apply_device
from stocky.edge.sync.products import apply_barcode
from stocky.edge.sync.runs import inventory_run, products_run, transactions_run
from stocky.edge.sync.transfers import apply_transfer, apply_transfer_line

__all__ = ["HANDLERS", "RUN_HANDLERS", "ApplyError", "Ctx", "Outcome"]


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
    return blamed(change, _customers, ctx, change)


def _one(run: Callable[[Ctx, list[Change]], list[Outcome]]) -> Callable[[Ctx, Change], Outcome]:
    def handler(ctx: Ctx, change: Change) -> Outcome:
        return run(ctx, [change])[0]

    return handler


# Entities whose consecutive changes in a page apply together (same outcome as one by one).
RUN_HANDLERS: dict[str, Callable[[Ctx, list[Change]], list[Outcome]]] = {
    "products": products_run,
    "inventory": inventory_run,
    "transactions": transactions_run,
}


HANDLERS: dict[str, Callable[[Ctx, Change], Outcome]] = {
    "products": _one(products_run),
    "product_barcodes": apply_barcode,
    "users": _users,
    "sedes": _sedes,
    "customers": _blamed_customers,
    "inventory": _one(inventory_run),
    "transactions": _one(transactions_run),
    "transfers": apply_transfer,
    "transfer_lines": apply_transfer_line,
    "devices": apply_device,
}
