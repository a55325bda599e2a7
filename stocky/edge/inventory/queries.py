"""Products with their stock, as the screens, the local API and the stock page read them.

One owner for "a product and what the caja holds of it": the point of sale's lookups, the
local API's product list and the stock page all read through here (on readers, never
writing), so a product with no stock row yet reads the same everywhere (0, min 0, no max).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from stocky.core.money import cents_to_money, milli_to_quantity
from stocky.edge.inventory.schemas import InventoryItem, InventoryPage
from stocky.edge.store.search import product_by_barcode, search_products


@dataclass(frozen=True, slots=True)
class Stocked:
    """A products row and the stock the caja shows for it."""

    product: sqlite3.Row
    quantity_milli: int = 0
    min_milli: int = 0
    max_milli: int | None = None

    def shown(self) -> dict[str, Any]:
        """What every reader shows of a product, as exact decimals: id, sku, name, barcode,
        unit, price, tax rate and the quantity on hand."""
        p = self.product
        return {
            "id": p["id"],
            "sku": p["sku"],
            "name": p["name"],
            "barcode": p["barcode"],
            "unit": p["unit"],
            "price": cents_to_money(p["price_cents"]),
            "tax_rate": Decimal(p["tax_rate"]),
            "quantity": milli_to_quantity(self.quantity_milli),
        }


def with_stock(conn: sqlite3.Connection, rows: Sequence[sqlite3.Row]) -> list[Stocked]:
    """These products, in order, each with its stock (one query for all of them)."""
    ids = [row["id"] for row in rows]
    stock: dict[str, tuple[int, int, int | None]] = {}
    if ids:
        marks = ", ".join("?" * len(ids))
        stock = {
            r[0]: (r[1], r[2], r[3])
            for r in conn.execute(
                "SELECT product_id, quantity_milli, min_milli, max_milli FROM inventory "
                f"WHERE product_id IN ({marks})",
                ids,
            )
        }
    return [Stocked(row, *stock.get(row["id"], (0, 0, None))) for row in rows]


def product_by_id(conn: sqlite3.Connection, product_id: str) -> Stocked | None:
    row = conn.execute("SELECT * FROM products WHERE id = ?", (product_id,)).fetchone()
    return None if row is None else with_stock(conn, [row])[0]


def product_with_barcode(conn: sqlite3.Connection, barcode: str) -> Stocked | None:
    """The product with this main or extra barcode (active or not), if any."""
    row = product_by_barcode(conn, barcode)
    return None if row is None else with_stock(conn, [row])[0]


def products_by_ids(conn: sqlite3.Connection, ids: Sequence[str]) -> list[Stocked]:
    """The products of these ids, in the order given; unknown ids are left out."""
    if not ids:
        return []
    marks = ", ".join("?" * len(ids))
    rows = conn.execute(f"SELECT * FROM products WHERE id IN ({marks})", list(ids)).fetchall()
    order = {pid: i for i, pid in enumerate(ids)}
    return with_stock(conn, sorted(rows, key=lambda r: order[r["id"]]))


def product_versions(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, int]:
    """The catalog version the caja holds of each of these products (unknown ids left out)."""
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    rows = conn.execute(f"SELECT id, version FROM products WHERE id IN ({marks})", list(ids))
    return {str(r[0]): int(r[1]) for r in rows}


def search(conn: sqlite3.Connection, text: str, *, limit: int, offset: int = 0) -> list[Stocked]:
    """Active products matching every word of `text` as a prefix (FTS5), best first."""
    return with_stock(conn, search_products(conn, text, limit=limit, offset=offset))


def active_products(conn: sqlite3.Connection, *, limit: int, offset: int) -> list[Stocked]:
    """Active products by name."""
    rows = conn.execute(
        "SELECT * FROM products WHERE active = 1 ORDER BY name, id LIMIT ? OFFSET ?",
        (limit, offset),
    ).fetchall()
    return with_stock(conn, rows)


def inventory_item(
    *,
    product_id: str,
    sku: str,
    name: str,
    barcode: str | None,
    unit: str,
    quantity_milli: int,
    min_milli: int,
    max_milli: int | None,
) -> InventoryItem:
    """One line of the stock page, flagged low (quantity <= min) and negative."""
    return InventoryItem(
        product_id=product_id,
        sku=sku,
        name=name,
        barcode=barcode,
        unit=unit,
        quantity=milli_to_quantity(quantity_milli),
        min_stock=milli_to_quantity(min_milli),
        max_stock=None if max_milli is None else milli_to_quantity(max_milli),
        low=quantity_milli <= min_milli,
        negative=quantity_milli < 0,
    )


def _item(stocked: Stocked) -> InventoryItem:
    p = stocked.product
    return inventory_item(
        product_id=p["id"],
        sku=p["sku"],
        name=p["name"],
        barcode=p["barcode"],
        unit=p["unit"],
        quantity_milli=stocked.quantity_milli,
        min_milli=stocked.min_milli,
        max_milli=stocked.max_milli,
    )


_INVENTORY_FILTERS = {
    "all": "1",
    "low": "coalesce(i.quantity_milli, 0) <= coalesce(i.min_milli, 0)",
    "negative": "coalesce(i.quantity_milli, 0) < 0",
}


def inventory_page(
    conn: sqlite3.Connection,
    *,
    status: str = "all",
    limit: int = 100,
    offset: int = 0,
    text: str = "",
) -> InventoryPage:
    """Stock per active product (0 where no row yet) and the total that match; with `text`,
    the products matching it (FTS5, indexed), filtered the same way."""
    if text.strip():
        return _search_page(conn, text=text, status=status, limit=limit, offset=offset)
    where = f"p.active = 1 AND {_INVENTORY_FILTERS[status]}"
    base = f"FROM products AS p LEFT JOIN inventory AS i ON i.product_id = p.id WHERE {where}"
    total = int(conn.execute(f"SELECT count(*) {base}").fetchone()[0])
    rows = conn.execute(
        f"""
        SELECT p.id AS product_id, p.sku, p.name, p.barcode, p.unit,
               coalesce(i.quantity_milli, 0) AS quantity_milli,
               coalesce(i.min_milli, 0) AS min_milli, i.max_milli
        {base} ORDER BY p.name, p.id LIMIT ? OFFSET ?
        """,
        (limit, offset),
    ).fetchall()
    items = [inventory_item(**dict(row)) for row in rows]
    return InventoryPage(items=items, total=total, limit=limit, offset=offset)


def _matches(item: InventoryItem, status: str) -> bool:
    return (
        status == "all"
        or (status == "low" and item.low)
        or (status == "negative" and item.negative)
    )


def _search_page(
    conn: sqlite3.Connection, *, text: str, status: str, limit: int, offset: int
) -> InventoryPage:
    # One page past the window tells whether there is a next page without counting all.
    found = search(conn, text, limit=limit + 1, offset=offset)
    items = []
    for stocked in found[:limit]:
        item = _item(stocked)
        if (
            status == "all"
            or (status == "low" and item.low)
            or (status == "negative" and item.negative)
        ):
            items.append(item)
    return InventoryPage(items=items, total=offset + len(found), limit=limit, offset=offset)
