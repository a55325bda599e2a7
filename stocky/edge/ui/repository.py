"""Reads the screens need that the local API does not expose yet (read-only, on readers).

Writes never happen here: every change goes through the pos, inventory and shifts services.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from decimal import Decimal

from stocky.core.money import cents_to_money, milli_to_quantity
from stocky.edge.inventory.schemas import InventoryItem, InventoryPage
from stocky.edge.inventory.service import inventory_page
from stocky.edge.pos.imported import local_sale_id
from stocky.edge.store.search import product_by_barcode, search_products
from stocky.edge.store.sede import load_sede_info


@dataclass(frozen=True, slots=True)
class ProductHit:
    id: str
    sku: str
    name: str
    barcode: str | None
    price: Decimal
    tax_rate: Decimal
    unit: str
    quantity: Decimal


# As many as the cloud's sede config accepts (stocky.cloud.sedes.schemas.MAX_FAVOURITES).
MAX_FAVOURITES = 24


def _stock(conn: sqlite3.Connection, ids: list[str]) -> dict[str, tuple[int, int, int | None]]:
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    rows = conn.execute(
        f"SELECT product_id, quantity_milli, min_milli, max_milli FROM inventory "
        f"WHERE product_id IN ({marks})",
        ids,
    ).fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def _hits(conn: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[ProductHit]:
    stock = _stock(conn, [r["id"] for r in rows])
    return [
        ProductHit(
            id=r["id"],
            sku=r["sku"],
            name=r["name"],
            barcode=r["barcode"],
            price=cents_to_money(r["price_cents"]),
            tax_rate=Decimal(r["tax_rate"]),
            unit=r["unit"],
            quantity=milli_to_quantity(stock.get(r["id"], (0, 0, None))[0]),
        )
        for r in rows
        if r["active"]
    ]


def by_barcode(conn: sqlite3.Connection, code: str) -> ProductHit | None:
    row = product_by_barcode(conn, code.strip())
    hits = [] if row is None else _hits(conn, [row])
    return hits[0] if hits else None


def by_id(conn: sqlite3.Connection, product_id: str) -> ProductHit | None:
    row = conn.execute("SELECT * FROM products WHERE id = ?", (product_id,)).fetchone()
    hits = [] if row is None else _hits(conn, [row])
    return hits[0] if hits else None


def favourites(conn: sqlite3.Connection) -> list[ProductHit]:
    """The sede's favourite products (its config, set in the cloud), in the grid's order;
    ids the caja does not know (yet) or inactive products are left out."""
    info = load_sede_info(conn)
    wanted = [] if info is None else info.config.get("favourites") or []
    if not isinstance(wanted, list) or not wanted:
        return []
    ids = [str(i) for i in wanted][:MAX_FAVOURITES]
    marks = ", ".join("?" * len(ids))
    rows = conn.execute(f"SELECT * FROM products WHERE id IN ({marks})", ids).fetchall()
    order = {pid: i for i, pid in enumerate(ids)}
    return _hits(conn, sorted(rows, key=lambda r: order[r["id"]]))


def suggest(conn: sqlite3.Connection, text: str, limit: int = 8) -> list[ProductHit]:
    return _hits(conn, search_products(conn, text, limit=limit))


def stock_page(
    conn: sqlite3.Connection, *, text: str, status: str, limit: int, offset: int
) -> InventoryPage:
    """The inventory service's page, or the same items for a text search (FTS5, indexed)."""
    if not text.strip():
        return inventory_page(conn, status=status, limit=limit, offset=offset)
    # One page past the window tells whether there is a next page without counting all.
    rows = search_products(conn, text, limit=limit + 1, offset=offset)
    stock = _stock(conn, [r["id"] for r in rows])
    items = []
    for r in rows[:limit]:
        qty, low, high = stock.get(r["id"], (0, 0, None))
        item = InventoryItem(
            product_id=r["id"],
            sku=r["sku"],
            name=r["name"],
            barcode=r["barcode"],
            unit=r["unit"],
            quantity=milli_to_quantity(qty),
            min=milli_to_quantity(low),
            max=None if high is None else milli_to_quantity(high),
            low=qty <= low,
            negative=qty < 0,
        )
        if status == "all" or (status == "low" and item.low) or (status == "negative" and qty < 0):
            items.append(item)
    return InventoryPage(items=items, total=offset + len(rows), limit=limit, offset=offset)


def sale_id_by_number(conn: sqlite3.Connection, number: int) -> str | None:
    """This caja's own sale of a bare receipt number."""
    return local_sale_id(conn, str(number))


def sale_id_by_receipt(conn: sqlite3.Connection, text: str) -> str | None:
    """The sale held here of a receipt number as a person types it: "42", "#42", "C01-000042"
    (another caja's ticket only once fetched from the cloud: stocky.edge.pos.imported)."""
    return local_sale_id(conn, text)


@dataclass(frozen=True, slots=True)
class RejectedOp:
    seq: int
    kind: str
    entity_id: str
    client_ts: str
    status: str
    reason: str


def rejected_ops(conn: sqlite3.Connection, limit: int = 200) -> list[RejectedOp]:
    """Ops the cloud refused (rejected) or overruled (conflict), newest first, with why."""
    rows = conn.execute(
        """
        SELECT seq, kind, entity_id, client_ts, status, last_error, result FROM sync_queue
        WHERE status IN ('rejected', 'conflict') ORDER BY seq DESC LIMIT ?
        """,
        (limit,),
    ).fetchall()
    out = []
    for r in rows:
        reason = r["last_error"] or ""
        if r["result"]:
            result = json.loads(r["result"])
            if isinstance(result, dict) and result.get("reason"):
                reason = str(result["reason"])
        out.append(
            RejectedOp(r["seq"], r["kind"], r["entity_id"], r["client_ts"], r["status"], reason)
        )
    return out


def user_name(conn: sqlite3.Connection, user_id: str) -> str:
    row = conn.execute("SELECT name FROM users WHERE id = ?", (user_id,)).fetchone()
    return user_id if row is None else str(row[0])
