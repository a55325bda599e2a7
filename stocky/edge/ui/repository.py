"""Reads the screens need that the local API does not expose yet (read-only, on readers).

Writes never happen here: every change goes through the pos, inventory and shifts services.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from decimal import Decimal

from stocky.edge.auth import session
from stocky.edge.inventory import queries
from stocky.edge.inventory.queries import Stocked
from stocky.edge.inventory.schemas import InventoryPage
from stocky.edge.outbox import RefusedOp, refused_ops
from stocky.edge.pos.imported import local_sale_id
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


def _hit(stocked: Stocked) -> ProductHit:
    return ProductHit(**stocked.shown())


def _hits(found: list[Stocked]) -> list[ProductHit]:
    return [_hit(stocked) for stocked in found if stocked.product["active"]]


def by_barcode(conn: sqlite3.Connection, code: str) -> ProductHit | None:
    found = queries.product_with_barcode(conn, code.strip())
    hits = [] if found is None else _hits([found])
    return hits[0] if hits else None


def by_id(conn: sqlite3.Connection, product_id: str) -> ProductHit | None:
    found = queries.product_by_id(conn, product_id)
    hits = [] if found is None else _hits([found])
    return hits[0] if hits else None


def favourites(conn: sqlite3.Connection) -> list[ProductHit]:
    """The sede's favourite products (its config, set in the cloud), in the grid's order;
    ids the caja does not know (yet) or inactive products are left out."""
    info = load_sede_info(conn)
    wanted = [] if info is None else info.config.get("favourites") or []
    if not isinstance(wanted, list) or not wanted:
        return []
    return _hits(queries.products_by_ids(conn, [str(i) for i in wanted][:MAX_FAVOURITES]))


def suggest(conn: sqlite3.Connection, text: str, limit: int = 8) -> list[ProductHit]:
    return _hits(queries.search(conn, text, limit=limit))


def stock_page(
    conn: sqlite3.Connection, *, text: str, status: str, limit: int, offset: int
) -> InventoryPage:
    """The stock page's window, or the same items for a text search (FTS5, indexed)."""
    return queries.inventory_page(conn, text=text, status=status, limit=limit, offset=offset)


def sale_id_by_number(conn: sqlite3.Connection, number: int) -> str | None:
    """This caja's own sale of a bare receipt number."""
    return local_sale_id(conn, str(number))


def sale_id_by_receipt(conn: sqlite3.Connection, text: str) -> str | None:
    """The sale held here of a receipt number as a person types it: "42", "#42", "C01-000042"
    (another caja's ticket only once fetched from the cloud: stocky.edge.pos.imported)."""
    return local_sale_id(conn, text)


def rejected_ops(conn: sqlite3.Connection, limit: int = 200) -> list[RefusedOp]:
    """Ops the cloud refused (rejected) or overruled (conflict), newest first, with why."""
    return refused_ops(conn, limit)


def user_name(conn: sqlite3.Connection, user_id: str) -> str:
    """Who made a sale, for its receipt: the id stands in for a user no longer here."""
    return session.user_name(conn, user_id) or user_id
