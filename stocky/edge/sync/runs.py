"""Entities whose consecutive changes in a page apply together: products, stock, movements.

Each run handler takes the consecutive changes of one entity and returns the outcome each
would have had applied one by one, in order, with a few executemany for the whole run. The
write checkpoint (stocky.edge.sync.checkpoint) holds back products and thresholds that a
pending local op still edits.
"""

from __future__ import annotations

import json
from typing import Any

from stocky.core.sync import Change
from stocky.edge.sync.checkpoint import defer, pending_ids
from stocky.edge.sync.conversions import (
    Ctx,
    Outcome,
    blamed,
    cents,
    change_data,
    milli,
    thresholds,
    ts,
)
from stocky.edge.sync.products import product_data, product_row, write_products

# Pulled movements of other cajas may lack what the caja's schema requires.
_UNKNOWN_USER = "cloud"


def products_run(ctx: Ctx, changes: list[Change]) -> list[Outcome]:
    """Consecutive product changes of a page, with the outcome of each in order."""
    datas = [blamed(change, product_data, change) for change in changes]
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
        row = blamed(change, product_row, data, ctx.now)
        keys = {("id", product_id)}
        if row is not None:
            keys.add(("sku", str(row["sku"])))
            if row["barcode"] is not None:
                keys.add(("barcode", str(row["barcode"])))
        if keys & taken:  # order matters between these two rows: write what came first
            write_products(ctx.conn, segment, ctx.now)
            segment, taken = [], set()
        segment.append((product_id, row))
        taken |= keys
        outcomes.append("applied")
    write_products(ctx.conn, segment, ctx.now)
    defer(ctx, "products", deferred)
    return outcomes


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


def inventory_run(ctx: Ctx, changes: list[Change]) -> list[Outcome]:
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
        data = blamed(change, change_data, change)
        if str(data["sede_id"]) != ctx.sede_id:
            continue
        low, high = blamed(change, thresholds, data)
        params = {
            "product_id": str(data["product_id"]),
            "cloud": blamed(change, milli, data["quantity"]),
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
    defer(
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
        milli(data["quantity"]),
        cents(data.get("unit_price") or 0),
        None if unit_cost is None else cents(unit_cost),
        cents(data.get("discount") or 0),
        data.get("product_version"),
        data.get("sale_id"),
        data.get("ref_id"),
        str(data["document_id"]),
        data.get("user_id") or _UNKNOWN_USER,
        ts(data["client_timestamp"]),
        server_ts,
        change.position,
        data.get("note"),
        data.get("transfer_id"),
    )


def transactions_run(ctx: Ctx, changes: list[Change]) -> list[Outcome]:
    """Mark the caja's own movements with their cloud position; insert other cajas'."""
    outcomes: list[Outcome] = ["ignored"] * len(changes)
    found: list[tuple[int, Change, dict[str, Any]]] = []
    for i, change in enumerate(changes):
        if change.op == "delete":
            continue  # append-only: the cloud never deletes a movement
        data = blamed(change, change_data, change)
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
    marks: list[tuple[str, str | None, str | None, str]] = []
    inserts: list[tuple[Any, ...]] = []
    for i, change, data in found:
        movement_id = str(data["id"])
        server_ts = (
            blamed(change, ts, data["server_timestamp"]) if data.get("server_timestamp") else None
        )
        if movement_id in here:
            marks.append((change.position, server_ts, data.get("transfer_id"), movement_id))
        else:
            # Another caja's movement: already counted in the stock change that follows it.
            inserts.append(blamed(change, _movement_row, change, data, server_ts))
            here.add(movement_id)  # the same movement again later in the run: a mark
        outcomes[i] = "applied"
    ctx.conn.executemany(
        """
        INSERT INTO transactions (id, type, product_id, quantity_milli, unit_price_cents,
            unit_cost_cents, discount_cents, product_version, sale_id, ref_id, document_id,
            user_id, client_ts, server_ts, cloud_position, note, transfer_id)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        inserts,
    )
    ctx.conn.executemany(
        # transfer_id: the movement's transfer, kept if the cloud's row names none.
        "UPDATE transactions SET cloud_position = ?, server_ts = ?,"
        " transfer_id = coalesce(?, transfer_id) WHERE id = ?",
        marks,
    )
    return outcomes
